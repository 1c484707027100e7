namespace Emulator.Persistence;

/// <summary>
/// The schema, as the steps that built it: a database at step <c>n</c> is brought up to date by running the steps after
/// it in order. Written in SQLite's dialect; <see cref="ForPostgres"/> turns a step into PostgreSQL's.
/// </summary>
internal static class Schema
{
    public static readonly string[] Steps =
    [
        """
        CREATE TABLE merchants (
            client_id TEXT PRIMARY KEY,
            doc TEXT NOT NULL);
        CREATE TABLE subscriptions (
            subscription_id TEXT PRIMARY KEY,
            client_id TEXT NOT NULL,
            subscription_request_id TEXT NOT NULL,
            authorization_token TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            doc TEXT NOT NULL);
        CREATE UNIQUE INDEX ix_subscriptions_request ON subscriptions (client_id, subscription_request_id);
        CREATE TABLE idempotency (
            client_id TEXT NOT NULL,
            api TEXT NOT NULL,
            request_id TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            response TEXT NOT NULL,
            PRIMARY KEY (client_id, api, request_id));
        """,
        """
        ALTER TABLE subscriptions ADD COLUMN next_event_at INTEGER;
        CREATE INDEX ix_subscriptions_due ON subscriptions (client_id, next_event_at);
        CREATE TABLE phases (
            subscription_id TEXT NOT NULL,
            phase_no INTEGER NOT NULL,
            client_id TEXT NOT NULL,
            payment_id TEXT NOT NULL UNIQUE,
            doc TEXT NOT NULL,
            PRIMARY KEY (subscription_id, phase_no));
        CREATE TABLE notifications (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            notification_id TEXT NOT NULL UNIQUE,
            client_id TEXT NOT NULL,
            subscription_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            url TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            next_attempt_at INTEGER,
            attempt_count INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX ix_notifications_due ON notifications (client_id, status, next_attempt_at);
        CREATE INDEX ix_notifications_subscription ON notifications (subscription_id, seq);
        CREATE TABLE notification_attempts (
            notification_id TEXT NOT NULL,
            attempt_no INTEGER NOT NULL,
            at INTEGER NOT NULL,
            http_status INTEGER,
            response_body TEXT,
            outcome TEXT NOT NULL,
            error TEXT,
            redelivery INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (notification_id, attempt_no));
        CREATE TABLE clocks (
            client_id TEXT PRIMARY KEY,
            offset_ms INTEGER NOT NULL,
            frozen_at INTEGER);
        """,
        """
        CREATE TABLE timeline (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            subscription_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            type TEXT NOT NULL,
            detail TEXT NOT NULL);
        CREATE INDEX ix_timeline_subscription ON timeline (subscription_id, seq);
        """,
        """
        CREATE TABLE faults (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            fault_id TEXT NOT NULL UNIQUE,
            client_id TEXT NOT NULL,
            target TEXT NOT NULL,
            doc TEXT NOT NULL,
            skip_left INTEGER NOT NULL,
            times_left INTEGER);
        CREATE INDEX ix_faults_target ON faults (client_id, target, seq);
        ALTER TABLE notifications ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
        """,
        """
        CREATE TABLE api_calls (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            api TEXT NOT NULL,
            request_id TEXT,
            subscription_id TEXT,
            result_code TEXT NOT NULL,
            result_status TEXT NOT NULL,
            result_message TEXT,
            body_hash TEXT);
        CREATE INDEX ix_api_calls_client ON api_calls (client_id, seq);
        """,
        """
        ALTER TABLE faults ADD COLUMN evaluated INTEGER NOT NULL DEFAULT 0;
        """,
        """
        CREATE INDEX ix_notifications_held ON notifications (subscription_id) WHERE held = 1;
        """,
        // A delivery-delay fault delays each attempt once: the delayed attempt goes out when it comes due again.
        """
        ALTER TABLE notifications ADD COLUMN delayed INTEGER NOT NULL DEFAULT 0;
        """,
        // Held back by a reorder fault before a subscription's end released them: ended subscriptions send nothing
        // more, so what they held goes out at the next run.
        """
        UPDATE notifications SET next_attempt_at = created_at
        WHERE held = 1 AND status = 'pending' AND next_attempt_at IS NULL
          AND subscription_id IN (SELECT subscription_id FROM subscriptions WHERE status = 'TERMINATED');
        """,
        // The merchant's ledger read in pages (GET …/notifications): each page is an index range, not a sort of all
        // of the merchant's notifications.
        """
        CREATE INDEX IF NOT EXISTS ix_notifications_client ON notifications (client_id, seq);
        """,
        // Where an attempt goes in its subscription's timeline: after the timeline rows written before it was sent,
        // before those written while it was out (a webhook handler's cancel). Null for attempts of earlier versions.
        """
        ALTER TABLE notification_attempts ADD COLUMN timeline_mark INTEGER;
        """,
        // Refunds of period payments (POST /v1/payments/refund): looked up by refund id, by the merchant's request id,
        // and summed by payment.
        """
        CREATE TABLE refunds (
            refund_id TEXT PRIMARY KEY,
            client_id TEXT NOT NULL,
            refund_request_id TEXT NOT NULL,
            payment_id TEXT NOT NULL,
            doc TEXT NOT NULL);
        CREATE UNIQUE INDEX ix_refunds_request ON refunds (client_id, refund_request_id);
        CREATE INDEX ix_refunds_payment ON refunds (payment_id);
        """,
        // A clock may run faster than the wall (clock/resume with a rate): it read offset_ms past the wall at the wall
        // instant anchor_ms, and has run rate times as fast since.
        """
        ALTER TABLE clocks ADD COLUMN rate INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE clocks ADD COLUMN anchor_ms INTEGER;
        """,
        // When a merchant was last used, on the wall's clock (Emulator:MerchantRetention): null until the first sweep
        // after it was made, or after the upgrade, sees it.
        """
        ALTER TABLE merchants ADD COLUMN last_used_ms INTEGER;
        """,
    ];

    /// <summary>
    /// The step in PostgreSQL's dialect: SQLite's auto-incremented row ids become identity columns, and its 64-bit
    /// <c>INTEGER</c> (times in milliseconds, counters) becomes <c>BIGINT</c>.
    /// </summary>
    public static string ForPostgres(string step) => step
        .Replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", StringComparison.Ordinal)
        .Replace("INTEGER", "BIGINT", StringComparison.Ordinal);
}
