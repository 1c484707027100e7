namespace Emulator.Domain;

/// <summary>What the buyer agrees to: everything of a create request except the ids (SPEC §3.1).</summary>
public sealed record SubscriptionPlan
{
    public required string Description { get; init; }

    public required string RedirectUrl { get; init; }

    public required DateTimeOffset StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public required PeriodRule PeriodRule { get; init; }

    public required DateTimeOffset ExpiryTime { get; init; }

    public required PaymentMethod PaymentMethod { get; init; }

    public required Amount PaymentAmount { get; init; }

    public required Amount OrderAmount { get; init; }

    public IReadOnlyList<Trial> Trials { get; init; } = [];

    public required string SubscriptionNotificationUrl { get; init; }

    public required string PaymentNotificationUrl { get; init; }

    public required string TerminalType { get; init; }

    public string? OsType { get; init; }

    public string? SettlementCurrency { get; init; }

    public string? MerchantAccountId { get; init; }
}
