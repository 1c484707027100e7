namespace Emulator.Control;

/// <summary>
/// A list answered as it is read, page by page, so that a list of thousands is never held whole. Its first page is read
/// before the answer starts: a failure there is still a problem-details answer. A failure after it can only cut the
/// answer short (the client sees an incomplete body, never a complete-looking shorter list).
/// </summary>
public static class StreamedList
{
    public static async Task<IAsyncEnumerable<T>> StartAsync<T>(IAsyncEnumerable<IReadOnlyList<T>> pages, CancellationToken cancellationToken)
    {
        var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        try
        {
            return Rest(enumerator, await enumerator.MoveNextAsync());
        }
        catch
        {
            await enumerator.DisposeAsync();
            throw;
        }
    }

    private static async IAsyncEnumerable<T> Rest<T>(IAsyncEnumerator<IReadOnlyList<T>> pages, bool any)
    {
        await using (pages)
        {
            for (var more = any; more; more = await pages.MoveNextAsync())
            {
                foreach (var item in pages.Current)
                {
                    yield return item;
                }
            }
        }
    }
}
