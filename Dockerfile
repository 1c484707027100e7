# Antom Subscription Pay emulator. Build: docker build -t antom-emulator .
# Run:   docker run -p 5080:8080 -p 5443:8443 -v antom-data:/data antom-emulator
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
RUN mkdir -p /data && chown app:app /data
VOLUME /data
USER app
EXPOSE 8080 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["dotnet", "Emulator.dll", "--health-probe", "http://127.0.0.1:8080"]
ENTRYPOINT ["dotnet", "Emulator.dll"]
CMD ["--urls", "http://+:8080;https://+:8443"]
