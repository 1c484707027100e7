using Emulator.Api;
using Emulator.Domain;

namespace Emulator.Lifecycle;

/// <summary>
/// The links create returns for the buyer, by terminal type (SPEC §3.1): every one leads to the emulator's own
/// authorization page for that request.
/// </summary>
public static class AuthorizationLinks
{
    public const string PagePath = "/authorize";

    public static CreateSubscriptionResponse For(Subscription subscription, string baseUrl)
    {
        var page = $"{baseUrl}{PagePath}/{subscription.AuthorizationToken}";
        var scheme = $"antom-emulator://authorize/{subscription.AuthorizationToken}";
        var applink = page + "?via=applink";
        var app = "com.emulator.wallet." + subscription.Plan.PaymentMethod.PaymentMethodType.ToLowerInvariant().Replace('_', '.');
        return subscription.Plan.TerminalType switch
        {
            "APP" => new CreateSubscriptionResponse(Protocol.AntomResult.Success, scheme, applink, page, app),
            "WAP" => new CreateSubscriptionResponse(Protocol.AntomResult.Success, null, applink, page, app),
            "MINI_APP" => new CreateSubscriptionResponse(Protocol.AntomResult.Success, scheme, null, page),
            _ => new CreateSubscriptionResponse(Protocol.AntomResult.Success, NormalUrl: page),
        };
    }
}
