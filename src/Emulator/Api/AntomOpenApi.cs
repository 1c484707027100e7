using Emulator.Api.Wire;
using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.AspNetCore;
using NSwag.Generation.Processors.Contexts;

namespace Emulator.Api;

/// <summary>
/// Completes the OpenAPI document for the emulated Antom surface: the signature headers on every request and response,
/// and the two notification bodies as schemas.
/// </summary>
public sealed class AntomOpenApi : IOperationProcessor, IDocumentProcessor
{
    public bool Process(OperationProcessorContext context)
    {
        if (!context.OperationDescription.Path.StartsWith("/ams/", StringComparison.Ordinal))
        {
            return true;
        }

        var operation = context.OperationDescription.Operation;
        if (context is AspNetCoreOperationProcessorContext aspNet
            && aspNet.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<AntomRequestBody>().FirstOrDefault() is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody { IsRequired = true };
            operation.RequestBody.Content["application/json"] = new OpenApiMediaType
            {
                Schema = new JsonSchema { Reference = context.SchemaGenerator.Generate(body.BodyType, context.SchemaResolver) },
            };
        }

        Header(operation, "Client-Id", "The merchant's client id.", required: true);
        Header(operation, "Request-Time", "Time since the epoch in digits (milliseconds; up to nanoseconds) or ISO-8601; signed as text.", required: true);
        Header(operation, "Signature", "algorithm=RSA256,keyVersion=1,signature=<url-encoded base64 of SHA256withRSA over POST <path>\\n<client-id>.<request-time>.<body>>", required: true);
        Header(operation, "Emulator-Result-Code", "Emulator only: force this result code on this call (not signed).", required: false);
        foreach (var response in operation.Responses.Values)
        {
            response.Headers["client-id"] = new OpenApiHeader { Description = "Echo of the caller's client id.", Schema = new JsonSchema { Type = JsonObjectType.String } };
            response.Headers["response-time"] = new OpenApiHeader { Description = "Time signed in the response signature.", Schema = new JsonSchema { Type = JsonObjectType.String } };
            response.Headers["signature"] = new OpenApiHeader { Description = "algorithm=RSA256,keyVersion=1,signature=<…> over POST <request path>\\n<client-id>.<response-time>.<body>, by the Antom key.", Schema = new JsonSchema { Type = JsonObjectType.String } };
        }

        return true;
    }

    public void Process(DocumentProcessorContext context)
    {
        foreach (var type in new[] { typeof(NotifySubscriptionWire), typeof(NotifyPaymentWire) })
        {
            context.SchemaGenerator.Generate(type, context.SchemaResolver);
        }
    }

    public static JsonSchema AmountSchema()
    {
        var schema = new JsonSchema { Type = JsonObjectType.Object, Description = "An amount in the currency's smallest unit." };
        schema.Properties["currency"] = new JsonSchemaProperty { Type = JsonObjectType.String, Pattern = "^[A-Z]{3}$", IsRequired = true };
        schema.Properties["value"] = new JsonSchemaProperty { Type = JsonObjectType.String, Pattern = "^[0-9]{1,16}$", IsRequired = true };
        return schema;
    }

    private static void Header(OpenApiOperation operation, string name, string description, bool required) =>
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            Kind = OpenApiParameterKind.Header,
            IsRequired = required,
            Description = description,
            Schema = new JsonSchema { Type = JsonObjectType.String },
        });
}
