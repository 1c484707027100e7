using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Emulator.Reports;

/// <summary>
/// How Antom lays out a report file (SPEC §6.2): a header row of column names, one row per record, quoted as RFC 4180
/// says, and <c>&lt;END&gt;</c> as the last line; lines end with a line feed.
/// </summary>
public static class ReportCsv
{
    public static string Write(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> records)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using (var csv = new CsvWriter(text, new CsvConfiguration(CultureInfo.InvariantCulture) { NewLine = "\n" }, leaveOpen: true))
        {
            foreach (var record in records.Prepend(columns))
            {
                foreach (var field in record)
                {
                    csv.WriteField(field);
                }

                csv.NextRecord();
            }
        }

        text.Write("<END>\n");
        return text.ToString();
    }

    /// <summary>An instant as the reports write it: ISO-8601 with its offset, to the second.</summary>
    public static string Time(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
