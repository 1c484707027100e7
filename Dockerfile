# Antom Subscription Pay emulator. Build: docker build -t antom-emulator .
# Run:   docker run -p 127.0.0.1:5080:8080 -p 127.0.0.1:5443:8443 -v antom-data:/data antom-emulator
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
# Settings rather than command-line arguments, so that arguments given to `docker run` add to them instead of
# replacing them. The host's requests reach the container from the bridge network's gateway, not from loopback: the
# control API and dashboard answer private networks' callers without a token (publish on 127.0.0.1, or set
# Emulator__AdminToken).
ENV Urls=http://+:8080;https://+:8443
ENV Emulator__ControlNetworks__0=10.0.0.0/8
ENV Emulator__ControlNetworks__1=172.16.0.0/12
ENV Emulator__ControlNetworks__2=192.168.0.0/16
ENV Emulator__ControlNetworks__3=fc00::/7
RUN mkdir -p /data && chown app:app /data
VOLUME /data
USER app
EXPOSE 8080 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["dotnet", "Emulator.dll", "--health-probe", "http://127.0.0.1:8080"]
ENTRYPOINT ["dotnet", "Emulator.dll"]
