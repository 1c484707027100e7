using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ContractTests.Support;

/// <summary>
/// Every error the in-process emulator logs, kept for tests: a failure of background work (the scheduler's loop) shows
/// nowhere on the wire.
/// </summary>
public sealed class ServerErrors : ILoggerProvider
{
    private readonly ConcurrentQueue<string> errors = new();

    /// <summary>The errors logged so far that name <paramref name="text"/> (a merchant's client id, say).</summary>
    public IReadOnlyList<string> Naming(string text) => [.. errors.Where(e => e.Contains(text, StringComparison.Ordinal))];

    public ILogger CreateLogger(string categoryName) => new Logger(errors, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> errors, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
