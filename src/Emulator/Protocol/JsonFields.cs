using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Emulator.Domain;

namespace Emulator.Protocol;

/// <summary>
/// Tolerant reader over one JSON object of a request, recording every broken field rule with its JSON path.
/// Antom asks for scalars as strings but the SDKs send numbers and booleans, and the .NET SDK sends every unset field as
/// <c>null</c> (SPEC §1.6, §9): scalars are accepted in either form and <c>null</c> counts as absent.
/// </summary>
public sealed partial class JsonFields
{
    private readonly JsonElement element;
    private readonly string prefix;
    private readonly List<FieldError> errors;

    private JsonFields(JsonElement element, string prefix, List<FieldError> errors)
    {
        this.element = element;
        this.prefix = prefix;
        this.errors = errors;
    }

    public static JsonFields Root(JsonElement element, List<FieldError> errors) => new(element, "", errors);

    public IReadOnlyList<FieldError> Errors => errors;

    public string PathOf(string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    public void Fail(string name, string rule) => errors.Add(new FieldError(PathOf(name), rule));

    public string? Text(string name, int maxLength, bool required = false)
    {
        if (Get(name) is not { } value)
        {
            return Missing(name, required);
        }

        string text;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                text = value.GetString()!;
                break;
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                text = value.GetRawText();
                break;
            default:
                Fail(name, $"must be a string, not {Describe(value.ValueKind)}");
                return null;
        }

        if (text.Length == 0)
        {
            return Missing(name, required);
        }

        if (text.Length > maxLength)
        {
            Fail(name, $"must be at most {maxLength} characters (got {text.Length})");
            return null;
        }

        return text;
    }

    /// <summary>
    /// The text of member <paramref name="name"/> of <paramref name="body"/> as <see cref="Text"/> reads it, without
    /// judging it: a string as it is, a number or boolean as written, null for anything else. For the ids read before
    /// (or besides) the field rules: a request id sent as a number is the same id to both.
    /// </summary>
    public static string? TextOf(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => null,
            }
            : null;

    public string? OneOf(string name, IReadOnlyCollection<string> allowed, int maxLength, bool required = false)
    {
        var text = Text(name, maxLength, required);
        if (text is null || allowed.Contains(text))
        {
            return text;
        }

        Fail(name, $"must be one of {string.Join(", ", allowed)} (got '{Shorten(text)}')");
        return null;
    }

    public string? Url(string name, int maxLength, bool required = false)
    {
        var text = Text(name, maxLength, required);
        if (text is null)
        {
            return null;
        }

        if (!IsHttpUrl(text, out _))
        {
            Fail(name, $"must be an absolute http or https URL (got '{Shorten(text)}')");
            return null;
        }

        return text;
    }

    /// <summary>
    /// An absolute URL the buyer's browser is sent to: http, https, or an app's own scheme (<c>myapp://done</c>, an app
    /// integration's deep link), not one a browser runs or reads itself (<c>javascript:</c>, <c>data:</c>, <c>file:</c>, …).
    /// </summary>
    public string? RedirectUrl(string name, int maxLength, bool required = false)
    {
        var text = Text(name, maxLength, required);
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || BrowserSchemes.Contains(uri.Scheme))
        {
            Fail(name, $"must be an absolute URL: http, https or an app's own scheme such as myapp://done (got '{Shorten(text)}')");
            return null;
        }

        return text;
    }

    // Schemes a browser handles itself: a redirect there would run or read something instead of reaching the merchant.
    private static readonly HashSet<string> BrowserSchemes = new(StringComparer.OrdinalIgnoreCase) { "javascript", "data", "vbscript", "file", "ftp", "blob", "about", "filesystem" };

    /// <summary>Whether <paramref name="text"/> is an absolute http or https URL: what a notification can be sent to.</summary>
    public static bool IsHttpUrl(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri)
    {
        uri = null;

        // A control character (NUL above all, which PostgreSQL cannot store) is in no URL a notification can go to.
        return !text.Any(char.IsControl)
            && Uri.TryCreate(text, UriKind.Absolute, out uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
    }

    public int? Integer(string name, int min, bool required = false, int max = int.MaxValue)
    {
        if (Get(name) is not { } value)
        {
            Missing(name, required);
            return null;
        }

        string raw = value.ValueKind switch
        {
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.String => value.GetString()!,
            _ => "",
        };
        if (value.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
        {
            Fail(name, $"must be an integer, not {Describe(value.ValueKind)}");
            return null;
        }

        if (raw.Length == 0 && value.ValueKind == JsonValueKind.String)
        {
            Missing(name, required);
            return null;
        }

        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            Fail(name, $"must be an integer from {min} to {max} (got '{Shorten(raw)}')");
            return null;
        }

        if (number < min)
        {
            Fail(name, $"must be at least {min} (got {number})");
            return null;
        }

        if (number > max)
        {
            Fail(name, $"must be from {min} to {max} (got {number})");
            return null;
        }

        return number;
    }

    public bool? Boolean(string name)
    {
        if (Get(name) is not { } value)
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.String when bool.TryParse(value.GetString(), out var b):
                return b;
            case JsonValueKind.String when value.GetString()!.Length == 0:
                return null;
            default:
                Fail(name, "must be true or false");
                return null;
        }
    }

    /// <summary>ISO-8601 date and time with an explicit offset, e.g. <c>2019-11-27T12:01:01+08:00</c> (SPEC §1.6).</summary>
    public DateTimeOffset? Time(string name, bool required = false, int maxLength = 64)
    {
        var text = Text(name, maxLength, required);
        if (text is null)
        {
            return null;
        }

        if (!IsoDateTime().IsMatch(text))
        {
            Fail(name, $"must be an ISO-8601 date-time with offset such as 2019-11-27T12:01:01+08:00 (got '{Shorten(text)}')");
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            Fail(name, $"must be an ISO-8601 date-time with offset that exists, its instant in UTC within the years 0001 to 9999 (got '{Shorten(text)}')");
            return null;
        }

        return time;
    }

    /// <summary>An Amount (SPEC §2.1): 3-letter currency and a non-negative integer string in minor units.</summary>
    public Amount? Amount(string name, bool required = false)
    {
        var fields = Object(name, required);
        if (fields is null)
        {
            return null;
        }

        var currency = fields.Text("currency", 3, required: true);
        if (currency is not null && !CurrencyCode().IsMatch(currency))
        {
            fields.Fail("currency", $"must be an ISO-4217 code of 3 upper-case letters (got '{currency}')");
            currency = null;
        }
        else if (currency is not null && !Currencies.IsKnown(currency))
        {
            fields.Fail("currency", $"must be an ISO-4217 currency code; '{currency}' is not one");
            currency = null;
        }

        var value = fields.Text("value", 16, required: true);
        if (value is not null && !MinorUnits().IsMatch(value))
        {
            fields.Fail("value", $"must be a non-negative integer in the currency's smallest unit, such as \"1000\" (got '{Shorten(value)}')");
            value = null;
        }
        else if (value is not null && currency == "IDR" && long.Parse(value, CultureInfo.InvariantCulture) % 100 != 0)
        {
            fields.Fail("value", $"must be a multiple of 100 for IDR (its last two digits 00: whole rupiah, written in sen; got '{value}')");
            value = null;
        }

        return currency is null || value is null ? null : new Amount(currency, long.Parse(value, CultureInfo.InvariantCulture));
    }

    public JsonFields? Object(string name, bool required = false)
    {
        if (Get(name) is not { } value)
        {
            Missing(name, required);
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Fail(name, $"must be an object, not {Describe(value.ValueKind)}");
            return null;
        }

        return new JsonFields(value, PathOf(name), errors);
    }

    /// <summary>An array of at most <paramref name="maxItems"/> strings, each one of <paramref name="allowed"/>.</summary>
    public IReadOnlyList<string>? OneOfEach(string name, IReadOnlyCollection<string> allowed, int maxItems) =>
        Each(name, maxItems, $"must be one of {string.Join(", ", allowed)}", allowed.Contains);

    /// <summary>An array of at most <paramref name="maxItems"/> strings, each of 1 to <paramref name="maxLength"/> characters.</summary>
    public IReadOnlyList<string>? TextEach(string name, int maxLength, int maxItems = int.MaxValue) =>
        Each(name, maxItems, $"must be a string of 1 to {maxLength} characters", text => text.Length is > 0 && text.Length <= maxLength);

    private List<string>? Each(string name, int maxItems, string rule, Func<string, bool> accepts)
    {
        if (Get(name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Fail(name, $"must be an array, not {Describe(value.ValueKind)}");
            return null;
        }

        if (value.GetArrayLength() > maxItems)
        {
            Fail(name, $"must have at most {maxItems} elements (got {value.GetArrayLength()})");
            return null;
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && accepts(item.GetString()!))
            {
                items.Add(item.GetString()!);
            }
            else
            {
                errors.Add(new FieldError($"{PathOf(name)}[{index}]", $"{rule} (got {(item.ValueKind == JsonValueKind.String ? $"'{Shorten(item.GetString()!)}'" : Describe(item.ValueKind))})"));
            }

            index++;
        }

        return items;
    }

    public IReadOnlyList<JsonFields>? Array(string name, bool required = false)
    {
        if (Get(name) is not { } value)
        {
            Missing(name, required);
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Fail(name, $"must be an array, not {Describe(value.ValueKind)}");
            return null;
        }

        var items = new List<JsonFields>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = $"{PathOf(name)}[{index}]";
            if (item.ValueKind == JsonValueKind.Object)
            {
                items.Add(new JsonFields(item, path, errors));
            }
            else
            {
                errors.Add(new FieldError(path, $"must be an object, not {Describe(item.ValueKind)}"));
            }

            index++;
        }

        return items;
    }

    private JsonElement? Get(string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private string? Missing(string name, bool required)
    {
        if (required)
        {
            Fail(name, "is required");
        }

        return null;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => "a string",
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$")]
    private static partial Regex IsoDateTime();

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();

    [GeneratedRegex("^[0-9]{1,16}$")]
    private static partial Regex MinorUnits();
}
