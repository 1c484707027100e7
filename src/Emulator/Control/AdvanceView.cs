using Emulator.Scheduling;

namespace Emulator.Control;

public sealed record AdvanceView(DateTimeOffset Now, IReadOnlyList<JournalEvent> Events);
