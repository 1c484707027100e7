# Antom Subscription Pay emulator. Build: docker build -t antom-emulator .
# Run:   docker run -p 127.0.0.1:5080:8080 -p 127.0.0.1:5443:8443 -e Emulator__ControlNetworks__0=172.16.0.0/12 -v antom-data:/data antom-emulator
# (Not built on the development machines, which have no Docker engine; see README.)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
# ReadyToRun (precompiled for the build's OS and architecture): the container answers its first call sooner. The
# OpenAPI file is not generated here: the running app serves its document itself.
RUN dotnet publish src/Emulator/Emulator.csproj -c Release --os linux -p:PublishReadyToRun=true -p:SkipOpenApiGeneration=true -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV Emulator__DataDirectory=/data
# A setting rather than command-line arguments, so that arguments given to `docker run` add to it instead of
# replacing it. The control API trusts no network but loopback here: the host's requests come from the bridge
# network's gateway, so the run line says which network to trust (Emulator__ControlNetworks__0, see README) or sets
# Emulator__AdminToken.
ENV Urls=http://+:8080;https://+:8443
RUN mkdir -p /data && chown app:app /data
VOLUME /data
USER app
EXPOSE 8080 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["dotnet", "Emulator.dll", "--health-probe", "http://127.0.0.1:8080"]
ENTRYPOINT ["dotnet", "Emulator.dll"]
