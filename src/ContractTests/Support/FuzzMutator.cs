using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using static ContractTests.Support.FuzzFields;

namespace ContractTests.Support;

/// <summary>
/// Seeded, structure-aware mutations of a valid request body (<see cref="FuzzFields"/>) and of its bytes and headers,
/// each saying whether the emulator must refuse it (<c>PARAM_ILLEGAL</c> naming the field) or may take it. What a
/// mutation does to the bytes that no <see cref="JsonNode"/> can hold (invalid UTF-8, lone surrogates, raw control
/// characters) is spliced in after serialization through a token.
/// </summary>
public sealed class FuzzMutator(Random random, DateTimeOffset now)
{
    /// <summary>One change to the request: the field it touched (<c>body</c> for the bytes), and whether it must be refused.</summary>
    /// <param name="NotForLength">the value is exactly at the field's length limit: a refusal for its length would be wrong.</param>
    public sealed record Mutation(string Path, string What, bool Refuse, bool NotForLength = false)
    {
        public override string ToString() => $"{Path}: {What}{(Refuse ? " [must refuse]" : "")}";
    }

    private readonly Dictionary<string, byte[]> splices = new(StringComparer.Ordinal);

    /// <summary>Instants that matter to the case's target (its phases' boundaries, its end): times are often aimed at them.</summary>
    public IReadOnlyList<DateTimeOffset> Anchors { get; init; } = [];

    private sealed record Option(string What, JsonNode? Value, bool Refuse, bool Remove = false, bool NotForLength = false);

    public IReadOnlyDictionary<string, byte[]> Splices => splices;

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private bool Chance(double p) => random.NextDouble() < p;

    private string Token(byte[] bytes)
    {
        var token = $"ZQX{splices.Count}QZ";
        splices[token] = bytes;
        return token;
    }

    public static string Iso(DateTimeOffset t, TimeSpan offset) => t.ToOffset(offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    // ---- paths ----

    /// <summary>Every member of the body (objects, arrays and scalars), as paths such as <c>trials[0].trialAmount</c>.</summary>
    public static IEnumerable<string> Paths(JsonNode? node, string prefix = "")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
                    yield return path;
                    foreach (var inner in Paths(value, path))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var path = $"{prefix}[{i}]";
                    yield return path;
                    foreach (var inner in Paths(a[i], path))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    private static List<object> Segments(string path)
    {
        var segments = new List<object>();
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            segments.Add(bracket < 0 ? part : part[..bracket]);
            if (bracket >= 0)
            {
                foreach (var index in part[bracket..].Split('[', StringSplitOptions.RemoveEmptyEntries))
                {
                    segments.Add(int.Parse(index.TrimEnd(']'), CultureInfo.InvariantCulture));
                }
            }
        }

        return segments;
    }

    public static JsonNode? Get(JsonNode root, string path)
    {
        JsonNode? node = root;
        foreach (var segment in Segments(path))
        {
            node = segment switch
            {
                string name when node is JsonObject o => o[name],
                int index when node is JsonArray a && index < a.Count => a[index],
                _ => null,
            };
        }

        return node;
    }

    public static bool Has(JsonNode root, string path)
    {
        var segments = Segments(path);
        var parent = segments.Count == 1 ? root : Get(root, ParentOf(path));
        return segments[^1] switch
        {
            string name => parent is JsonObject o && o.ContainsKey(name),
            int index => parent is JsonArray a && index < a.Count,
            _ => false,
        };
    }

    public static string ParentOf(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut < 0 ? "" : path[..cut];
    }

    private static void Set(JsonNode root, string path, JsonNode? value, bool remove)
    {
        var segments = Segments(path);
        var parent = segments.Count == 1 ? root : Get(root, ParentOf(path));
        switch (segments[^1], parent)
        {
            case (string name, JsonObject o):
                if (remove)
                {
                    o.Remove(name);
                }
                else
                {
                    o[name] = value;
                }

                break;
            case (int index, JsonArray a):
                if (remove)
                {
                    a.RemoveAt(index);
                }
                else
                {
                    a[index] = value;
                }

                break;
        }
    }

    // ---- structural mutations ----

    /// <summary>Changes one field of <paramref name="body"/> (present, or added when its parent is there).</summary>
    public Mutation? MutateField(string api, JsonObject body)
    {
        var present = Paths(body).Where(p => !p.Contains("ZQX", StringComparison.Ordinal)).ToList();
        var absent = Of(api).Where(f => !f.Path.Contains("[*]", StringComparison.Ordinal) && !present.Contains(f.Path)
            && (ParentOf(f.Path) is var parent && (parent.Length == 0 || Get(body, parent) is JsonObject))).ToList();
        string path;
        if (absent.Count > 0 && Chance(0.25))
        {
            path = Pick(absent).Path;
        }
        else if (present.Count > 0)
        {
            path = Pick(present);
        }
        else
        {
            return null;
        }

        var field = Find(api, path);
        if (Chance(0.05) || (field is null && path.Contains('.', StringComparison.Ordinal) is false && Chance(0.5)))
        {
            return AddUnknown(body);
        }


        if (field is null)
        {
            // A member the API does not read (an array element of a filter list, an unknown one): any value.
            var anything = Pick(Scalars());
            Set(body, path, anything.Value, remove: false);
            return new Mutation(path, anything.What, Refuse: false);
        }

        // Half the time a value the field rules take: odd, but valid, it reaches the lifecycle behind them.
        var options = OptionsFor(api, field, body, path);
        var taken = options.Where(o => !o.Refuse).ToList();
        var option = Pick(taken.Count > 0 && Chance(0.5) ? taken : options);
        Set(body, path, option.Value, option.Remove);
        return new Mutation(path, option.What, option.Refuse, option.NotForLength);
    }

    private Mutation AddUnknown(JsonObject body)
    {
        var objects = Paths(body).Where(p => Get(body, p) is JsonObject).Prepend("").ToList();
        var parent = Pick(objects);
        var name = Pick(["zz" + random.Next(1000), "SubscriptionRequestId", "periodrule", "_links", "result", "__proto__", "subscriptionId "]);
        var value = Pick(Scalars()).Value;
        ((JsonObject)(parent.Length == 0 ? body : Get(body, parent)!))[name] = value;
        return new Mutation(parent.Length == 0 ? name : $"{parent}.{name}", "an unknown member", Refuse: false);
    }

    /// <summary>
    /// A member written twice in one object, after the first: under a token as its name, which the splice turns into the
    /// member's own name (a <see cref="JsonObject"/> holds each name once).
    /// </summary>
    public Mutation Duplicate(JsonObject body)
    {
        static bool Named(string key) => !key.StartsWith("ZQX", StringComparison.Ordinal);
        var objects = Paths(body).Where(p => Get(body, p) is JsonObject o && o.Any(m => Named(m.Key))).Prepend("").ToList();
        var parent = Pick(objects);
        var holder = (JsonObject)(parent.Length == 0 ? body : Get(body, parent)!);
        var name = Pick(holder.Select(p => p.Key).Where(Named).DefaultIfEmpty("zzEmpty").ToList());
        var twin = Chance(0.5) ? holder[name]?.DeepClone() : Pick(Scalars()).Value;
        holder[Token(Encoding.UTF8.GetBytes(name))] = twin;
        var path = parent.Length == 0 ? name : $"{parent}.{name}";
        return new Mutation(path, $"a duplicate member {path} after it ({twin?.ToJsonString() ?? "null"})", Refuse: false);
    }

    private List<Option> Scalars() =>
    [
        new("a string", "x", false), new("a number", 12345, false), new("a boolean", true, false), new("null", null, false),
        new("an object", new JsonObject { ["a"] = 1 }, false), new("an array", new JsonArray(1, "b"), false),
        new("a huge number", JsonNode.Parse("1e400"), false), new("a negative fraction", -0.5, false),
    ];

    private List<Option> OptionsFor(string api, Field field, JsonObject body, string path)
    {
        var options = new List<Option>
        {
            new("removed", null, field.Required, Remove: true),
            new("null", null, field.Required),
        };
        switch (field.Kind)
        {
            case Kind.Object:
                var requiredChildren = Of(api).Any(f => f.Required && ParentOf(f.Path) == field.Path);
                options.AddRange(
                [
                    new("an empty object", new JsonObject(), requiredChildren),
                    new("a string", "{}", true), new("a number", 1, true), new("a boolean", false, true), new("an array", new JsonArray(new JsonObject()), true),
                    new("an object nested 40 deep", Nested(40), requiredChildren),
                ]);
                break;
            case Kind.Trials:
                options.AddRange(TrialOptions(body));
                break;
            case Kind.EnumArray:
                options.AddRange(
                [
                    new("an empty array", new JsonArray(), false),
                    new("one allowed value twice", new JsonArray(field.Values![0], field.Values[0]), false),
                    new("every allowed value", new JsonArray([.. field.Values.Select(v => (JsonNode)v)]), false),
                    new("one more value than allowed", new JsonArray([.. Enumerable.Repeat(field.Values[0], field.MaxItems + 1).Select(v => (JsonNode)v)]), true),
                    new("an unknown value", new JsonArray("PENDING"), true),
                    new("a lower-case value", new JsonArray(field.Values[0].ToLowerInvariant()), true),
                    new("a number in the array", new JsonArray(1), true),
                    new("null in the array", new JsonArray((JsonNode?)null), true),
                    new("a string instead of an array", field.Values[0], true),
                    new("an object", new JsonObject(), true),
                ]);
                break;
            case Kind.TextArray:
                options.AddRange(
                [
                    new("an empty array", new JsonArray(), false),
                    new("an item at the length limit", new JsonArray(new string('A', field.Max)), false, NotForLength: true),
                    new("an item over the length limit", new JsonArray(new string('A', field.Max + 1)), true),
                    new("an empty item", new JsonArray(""), true),
                    new("a number item", new JsonArray(5), true),
                    new("500 items", new JsonArray([.. Enumerable.Range(0, 500).Select(i => (JsonNode)$"I{i % 10}")]), false),
                    new("a string instead of an array", "PHP", true),
                ]);
                break;
            default:
                options.AddRange(ScalarOptions(field, body, path));
                break;
        }

        return options;
    }

    private List<Option> ScalarOptions(Field field, JsonObject body, string path)
    {
        var structured = new List<Option>
        {
            new("an empty object", new JsonObject(), true),
            new("an object", new JsonObject { ["value"] = "1" }, true),
            new("an empty array", new JsonArray(), true),
            new("an array", new JsonArray("x", 1), true),
        };
        var current = Get(body, path);
        switch (field.Kind)
        {
            case Kind.Text:
                return
                [
                    .. structured,
                    .. LengthOptions(field.Max, "T"),
                    new("empty", "", field.Required),
                    new("white space only", "   ", false),
                    new("padded with white space", $"  {current?.ToString() ?? "x"}  ", false),
                    new("a number", 1234567, false),
                    new("a boolean", false, false),
                    new("control characters", "a\u0001b\u001fc\u007fd\u0085", false),
                    new("zero-width and bidi characters", "\u200b\u202eabc\ufeff\u2028", false),
                    new("an emoji and combining marks", "pay\U0001F600e\u0301", false),
                    new("markup", Pick(["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'><svg onload=alert(1)>&amp;"]), false),
                    new("NUL", "a" + Token("\\u0000"u8.ToArray()) + "b", true),
                    new("a lone high surrogate", "a" + Token("\\ud800"u8.ToArray()) + "b", true),
                    new("a lone low surrogate", Token("\\udfff"u8.ToArray()), true),
                    new("escaped ordinary characters", Token("\\u0041\\/\\u00e9"u8.ToArray()), false),
                ];
            case Kind.Enum:
                var values = field.Values!;
                return
                [
                    .. structured,
                    new("another allowed value", Pick(values), false),
                    new("lower case", Pick(values).ToLowerInvariant(), true),
                    new("an unknown value", "QUARTER_X", true),
                    new("padded", $" {Pick(values)} ", true),
                    new("empty", "", field.Required),
                    new("a number", 1, true),
                    new("a boolean", true, true),
                    new("over the length limit", new string('Z', field.Max + 1), true),
                ];
            case Kind.Url:
                return
                [
                    .. structured,
                    // Loopback hosts only: the emulator posts to these (port 9 refuses at once).
                    new("a URL at the length limit", Padded("http://127.0.0.1:9/", field.Max), false, NotForLength: true),
                    new("a URL over the length limit", Padded("http://127.0.0.1:9/", field.Max + 1), true),
                    new("not a URL", "not a url", true),
                    new("ftp", "ftp://127.0.0.1:9/x", true),
                    new("relative", "/notify", true),
                    new("a control character", "http://127.0.0.1:9/a\u0001b", true),
                    new("a port out of range", "http://127.0.0.1:99999/x", true),
                    new("upper case", "HTTP://LOCALHOST:9/NOTIFY", false),
                    new("an IPv6 host", "http://[::1]:9/notify", false),
                    new("empty", "", field.Required),
                    new("a number", 80, true),
                ];
            case Kind.Redirect:
                return
                [
                    .. structured,
                    new("a URL at the length limit", Padded("https://m.example/", field.Max), false, NotForLength: true),
                    new("a URL over the length limit", Padded("https://m.example/", field.Max + 1), true),
                    new("an app's scheme", "myapp://done?x=1", false),
                    new("javascript", Pick(["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)"]), true),
                    new("data", "data:text/html,<b>x</b>", true),
                    new("file", "file:///etc/passwd", true),
                    new("not a URL", "not a url", true),
                    new("empty", "", field.Required),
                ];
            case Kind.Time:
                return [.. structured, .. TimeOptions(field)];
            case Kind.Integer:
                var max = field.Max > 0 ? field.Max : int.MaxValue;
                List<Option> ints =
                [
                    .. structured,
                    new("the minimum", field.Min, false),
                    new("the minimum as a string", field.Min.ToString(CultureInfo.InvariantCulture), false),
                    new("0", 0, true),
                    new("-1", -1, true),
                    new("-1 as a string", "-1", true),
                    new("a leading plus", "+1", false),
                    new("a leading zero", "01", false),
                    new("a fraction", 1.5, true),
                    new("1.0", JsonNode.Parse("1.0"), true),
                    new("an exponent", JsonNode.Parse("1e0"), true),
                    new("an exponent as a string", "1e0", true),
                    new("beyond 32 bits", 2147483648L, true),
                    new("huge", JsonNode.Parse("99999999999999999999999"), true),
                    new("white space around", " 1", true),
                    new("Arabic-Indic digit", "\u0661", true),
                    new("hexadecimal", "0x1", true),
                    new("a boolean", true, true),
                    new("empty", "", field.Required),
                    new("letters", "one", true),
                ];
                if (field.Max > 0)
                {
                    ints.Add(new("the maximum", max, false));
                    ints.Add(new("one above the maximum", max + 1, true));
                }
                else
                {
                    ints.Add(new("int.MaxValue", int.MaxValue, false));
                    ints.Add(new("a big count", Pick([12, 100, 1000, 100000, 3000000]), false));
                }

                return ints;
            case Kind.Boolean:
                return
                [
                    .. structured,
                    new("TRUE", "TRUE", false),
                    new("\"false\"", "false", false),
                    new("yes", "yes", true),
                    new("1", 1, true),
                    new("empty", "", false),
                ];
            case Kind.Currency:
                return
                [
                    .. structured,
                    new("another currency", Pick(["EUR", "JPY", "KWD", "IDR", "USD", "HRK", "XAF"]), false),
                    new("a code not in ISO-4217", Pick(["ZZZ", "ABC", "XTS", "XXX", "XAU"]), true),
                    new("lower case", "php", true),
                    new("two letters", "US", true),
                    new("four letters", "USDD", true),
                    new("a symbol", "\u20ac", true),
                    new("full-width letters", "\uff35\uff33\uff24", true),
                    new("empty", "", true),
                    new("a number", 608, true),
                ];
            case Kind.MinorUnits:
                return
                [
                    .. structured,
                    new("0", "0", field.Positive),
                    new("1", "1", false),
                    new("16 digits", "9999999999999999", false),
                    new("17 digits", "10000000000000000", true),
                    new("leading zeros", "0000000000000100", false),
                    new("negative", "-100", true),
                    new("a fraction", Pick(["1.5", "100.00", "0.001", "19900.0"]), true),
                    new("an exponent", "1e3", true),
                    new("white space", Pick([" 100", "100 ", "1 00"]), true),
                    new("full-width digits", "\uff11\uff10\uff10", true),
                    new("hexadecimal", "0x64", true),
                    new("empty", "", true),
                    new("a number", 100, false),
                    new("a fractional number", JsonNode.Parse("100.0"), true),
                    new("an exponent number", JsonNode.Parse("1e2"), true),
                    new("a negative number", -5, true),
                    new("a 20-digit number", JsonNode.Parse("12345678901234567890"), true),
                    new("a huge number", JsonNode.Parse("1e400"), true),
                    new("a boolean", true, true),
                ];
            case Kind.Duration:
                return
                [
                    .. structured,
                    new("a duration", Pick(["P1D", "PT1S", "P1M", "P1Y2M", "PT90M", "P1W", "P3DT4H", "PT0.5S", "P0D", "PT0S"]), false),
                    new("a long duration", Pick(["P100Y", "P8000Y", "P9999Y", "PT2562047H", "PT9999999999S", "P99999999999999999999D"]), false),
                    new("negative", Pick(["-P1D", "P-1D", "PT-5S"]), true),
                    new("lower case", "p1d", true),
                    new("no designator", Pick(["P", "PT", "1D", "P1", "PT1"]), true),
                    new("a time part without T", "P1H", true),
                    new("fractional days", Pick(["P1.5D", "P0,5D", "P1.5M"]), true),
                    new("words", Pick(["1 day", "tomorrow", "forever"]), true),
                    new("padded", " P1D ", true),
                    new("digits of another script", Pick(["P\u0661D", "P\uff11D"]), true),
                    new("a trailing new line", "P1D\n", true),
                    new("over the length limit", "P" + new string('1', field.Max + 1) + "D", true),
                    new("empty", "", true),
                    new("a number", 86400, true),
                    new("a boolean", true, true),
                ];
            case Kind.Fraction:
                return
                [
                    .. structured,
                    new("a share", Pick([0, 0.25, 0.5, 1]), false),
                    new("a tiny share", JsonNode.Parse("1e-300"), false),
                    new("above one", Pick([1.0000001, 2, 100]), true),
                    new("negative", Pick([-0.1, -1]), true),
                    new("a huge number", JsonNode.Parse("1e400"), true),
                    new("a share as a string", "0.5", true),
                    new("NaN as a string", "NaN", true),
                    new("a boolean", true, true),
                ];
            case Kind.DecimalText:
                return
                [
                    .. structured,
                    new("a decimal", Pick(["0", "0.029", "1", "0.5", "1.0", "0.0000001", "17.25"]), false),
                    new("many digits", "0." + new string('9', 40), false),
                    new("huge", new string('9', 40), true),
                    new("negative", "-0.01", true),
                    new("an exponent", "2.9e-2", true),
                    new("a comma", "0,029", true),
                    new("a percentage", "2.9%", true),
                    new("padded", " 0.1 ", true),
                    new("full-width digits", "\uff10.\uff11", true),
                    new("empty", "", true),
                    new("a number", 0.029, true),
                    new("a boolean", false, true),
                ];
            default:
                throw new InvalidOperationException(field.Kind.ToString());
        }
    }

    private static string Padded(string prefix, int length) => prefix + new string('a', length - prefix.Length);

    private List<Option> LengthOptions(int max, string letter)
    {
        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", max / 2));
        return
        [
            new("at the length limit", Ascii(max), false, NotForLength: true),
            new("one over the length limit", Ascii(max + 1), true),
            new("far over the length limit", Ascii(max * 10 + 7), true),
            new("non-ASCII at the length limit", string.Concat(Enumerable.Range(0, max).Select(i => i % 2 == 0 ? "\u00e9" : "\u4e2d")), false, NotForLength: true),
            new("non-ASCII one over the length limit", new string('\u00e9', max + 1), true),
            new("emoji filling the length limit in UTF-16", emoji, false, NotForLength: true),
        ];

        string Ascii(int n)
        {
            var chars = new char[n];
            for (var i = 0; i < n; i++)
            {
                chars[i] = (char)random.Next(0x21, 0x7f) is var c && c is '"' or '\\' ? letter[0] : c;
            }

            return new string(chars);
        }
    }

    private List<Option> TimeOptions(Field field)
    {
        TimeSpan[] offsets = [TimeSpan.Zero, TimeSpan.FromHours(8), TimeSpan.FromHours(-5), new(5, 45, 0), TimeSpan.FromHours(14), TimeSpan.FromHours(-12)];
        var offset = Pick(offsets);

        // Instants near now, where the calendar has room for them (a control fuzz may have moved a clock to one of its ends).
        var basis = now.Year is > 100 and < 9900 ? now : new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var at = Pick<Func<DateTimeOffset>>(
        [
            () => basis, () => basis.AddMinutes(1), () => basis.AddMinutes(-1), () => basis.AddMinutes(-6), () => basis.AddHours(1), () => basis.AddHours(-1),
            () => basis.AddDays(1), () => basis.AddDays(-1), () => basis.AddHours(47), () => basis.AddHours(48), () => basis.AddDays(random.Next(2, 400)),
            () => basis.AddMonths(-1), () => basis.AddYears(-1), () => basis.AddYears(random.Next(1, 50)),
        ])();
        var text = Iso(at, offset);
        var fraction = "." + new string('0', random.Next(1, 10)).Select(_ => (char)('0' + random.Next(10))).Aggregate("", (s, c) => s + c);
        List<Option> anchored = [];
        if (Anchors.Count > 0)
        {
            // The instants the rules turn on: the target's phase boundaries, its start, end and expiry, now and now + 24 h,
            // exactly and a second either side.
            var anchor = Pick(Anchors);
            var nudge = Pick([TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(-1), TimeSpan.FromTicks(1), TimeSpan.FromDays(1)]);
            var exact = (anchor + nudge).ToOffset(offset).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
            anchored = [new($"an instant the rules turn on ({exact})", exact, false), new($"an instant the rules turn on ({exact})", exact, false)];
        }

        return
        [
            .. anchored,
            new($"an instant ({text})", text, false),
            new("Z for UTC", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), false),
            new("an offset without a colon", at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "+0800", false),
            new("fractional seconds", text[..19] + fraction + text[19..], false),
            new("no seconds", text[..16] + text[19..], false),
            new("the first instant of the calendar", Pick(["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00-14:00"]), false),
            new("the last instant of the calendar", Pick(["9999-12-31T23:59:59Z", "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59+14:00"]), false),
            new("before the year 1 in UTC", "0001-01-01T00:00:00+01:00", true),
            new("after the year 9999 in UTC", "9999-12-31T23:59:59-01:00", true),
            new("a leap second", $"{at.Year}-12-31T23:59:60Z", false),
            new("29 February of a common year", "2027-02-29T00:00:00Z", true),
            new("month 13", "2026-13-01T00:00:00Z", true),
            new("hour 24", "2026-03-01T24:00:00Z", true),
            new("minute 60", "2026-03-01T23:60:00Z", true),
            new("the year 0", "0000-01-01T00:00:00Z", true),
            new("no offset", text[..19], true),
            new("a date only", text[..10], true),
            new("the basic format", at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture), true),
            new("slashes", at.UtcDateTime.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z", true),
            new("epoch seconds", at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), true),
            new("epoch milliseconds as a number", at.ToUnixTimeMilliseconds(), true),
            new("an offset beyond 14 hours", text[..19] + Pick(["+14:30", "+25:00", "-15:00", "+99:99"]), true),
            new("lower-case t and z", text[..10] + "t" + text[11..19] + "z", true),
            new("ten fraction digits", text[..19] + ".1234567890Z", true),
            new("padded", $" {text} ", true),
            new("full-width digits", "\uff12\uff10\uff12\uff16-03-01T09:00:00Z", true),
            new("over the length limit", text[..19] + "." + new string('0', field.Max) + "Z", true),
            new("a word", "tomorrow", true),
            new("empty", "", field.Required),
            new("a number", 20260301, true),
            new("a boolean", false, true),
        ];
    }

    private List<Option> TrialOptions(JsonObject body)
    {
        var currency = (Get(body, "paymentAmount.currency") as JsonValue)?.TryGetValue<string>(out var c) == true ? c : "PHP";
        JsonObject Trial(int start, int? end, string value, string? cur = null) => new()
        {
            ["trialStartPeriod"] = start,
            ["trialEndPeriod"] = end,
            ["trialAmount"] = Bodies.Amount(cur ?? currency, value),
        };
        return
        [
            new("an empty array", new JsonArray(), false),
            new("overlapping trials", new JsonArray(Trial(1, 3, "0"), Trial(3, 5, "100")), true),
            new("a trial ending before it starts", new JsonArray(Trial(4, 2, "0")), true),
            new("trials out of order", new JsonArray(Trial(3, 4, "0"), Trial(1, 1, "0")), false),
            new("200 one-period trials", new JsonArray([.. Enumerable.Range(2, 200).Select(k => (JsonNode)Trial(k, k, "0"))]), false),
            new("a trial of huge periods", new JsonArray(Trial(2, int.MaxValue, "0")), false),
            new("a trial from the last period", new JsonArray(Trial(int.MaxValue, null, "0")), false),
            new("a trial in another currency", new JsonArray(Trial(1, null, "0", currency == "USD" ? "EUR" : "USD")), true),
            new("a trial without a start", new JsonArray(new JsonObject { ["trialEndPeriod"] = 2, ["trialAmount"] = Bodies.Amount(currency, "0") }), true),
            new("a trial that is a number", new JsonArray(1), true),
            new("a trial that is null", new JsonArray((JsonNode?)null), true),
            new("an object instead of an array", Trial(1, 1, "0"), true),
            new("a string", "trial", true),
        ];
    }

    private static JsonObject Nested(int depth)
    {
        var root = new JsonObject();
        var node = root;
        for (var i = 0; i < depth; i++)
        {
            var inner = new JsonObject();
            node["a"] = inner;
            node = inner;
        }

        return root;
    }

    // ---- bytes ----

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 3 };

    /// <summary>The body as bytes: compact or indented, non-ASCII escaped or raw, with the splices made.</summary>
    public byte[] Serialize(JsonObject body)
    {
        var text = random.Next(4) switch
        {
            0 => body.ToJsonString(Relaxed),
            1 => body.ToJsonString(Indented),
            _ => body.ToJsonString(),
        };
        return Splice(Encoding.UTF8.GetBytes(text));
    }

    public byte[] Splice(byte[] bytes) => Splice(bytes, splices);

    /// <summary>Puts each spliced byte sequence where its token was written (bytes no JSON serializer would write).</summary>
    public static byte[] Splice(byte[] bytes, IReadOnlyDictionary<string, byte[]> splices)
    {
        foreach (var (token, replacement) in splices)
        {
            var marker = Encoding.ASCII.GetBytes(token);
            int at;
            while ((at = bytes.AsSpan().IndexOf(marker)) >= 0)
            {
                bytes = [.. bytes.AsSpan(0, at), .. replacement, .. bytes.AsSpan(at + marker.Length)];
            }
        }

        return bytes;
    }

    /// <summary>Changes the serialized body: what a byte-level bug, a sloppy client or an attacker sends.</summary>
    public (byte[] Body, Mutation Mutation) MutateBytes(byte[] body, JsonObject parsed)
    {
        static byte[] Insert(byte[] into, int at, string text) => [.. into.AsSpan(0, at), .. Encoding.UTF8.GetBytes(text), .. into.AsSpan(at)];
        var open = Array.IndexOf(body, (byte)'{') + 1;
        var close = Array.LastIndexOf(body, (byte)'}');
        var keys = parsed.Select(p => p.Key).ToList();
        switch (random.Next(14))
        {
            case 0:
                return ([0xEF, 0xBB, 0xBF, .. body], new("body", "a UTF-8 byte order mark", false));
            case 1:
                return ([.. "\r\n\t "u8, .. body, .. "\n\n  "u8], new("body", "white space around", false));
            case 2:
                var garbage = Pick(["x", "}", "{}", ",", "\0", "/*c*/", "[]", "\"\""]);
                return ([.. body, .. Encoding.UTF8.GetBytes(garbage)], new("body", $"trailing {JsonSerializer.Serialize(garbage)}", true));
            case 3 when keys.Count > 0:
                var key = Pick(keys);
                var twin = Chance(0.5) ? parsed[key]?.ToJsonString() ?? "null" : Pick(["\"dup\"", "1", "{}", "[]", "null", "\"\""]);
                return (Insert(body, open, $"\"{key}\":{twin},"), new(key, $"a duplicate member {key} ({twin})", false));
            case 4:
                var depth = Pick([8, 30, 62, 63, 64, 65, 100, 1000, 20000]);
                var nested = new string('[', depth) + new string(']', depth);
                return (Insert(body, open, $"\"zzDeep\":{nested},"), new("body", $"an array nested {depth} deep", depth >= 70));
            case 5:
                var size = Pick([100_000, 400_000, 524_288, 600_000, 3_000_000]);
                return (Insert(body, open, $"\"zzBig\":\"{new string('x', size)}\","), new("body", $"{size} more bytes", size > 524_288));
            case 6:
                return ([.. "["u8, .. body, .. "]"u8], new("body", "an array around the object", true));
            case 7 when close > 0 && keys.Count > 0:
                return (Insert(body, close, ","), new("body", "a trailing comma", true));
            case 8:
                var bad = Pick<byte[]>([[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80]]);
                return ([.. body.AsSpan(0, open), .. "\"zzBytes\":\"a"u8, .. bad, .. "\","u8, .. body.AsSpan(open)], new("body", $"bytes that are not UTF-8 ({Convert.ToHexString(bad)})", true));
            case 9:
                return ([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(body))], new("body", "UTF-16", true));
            case 10:
                return (Insert(body, open, $"\"zzNum\":{Pick(["NaN", "Infinity", "-Infinity", "01", "1.", ".5", "+1", "0x10"])},"), new("body", "a number JSON does not have", true));
            case 11:
                return (Insert(body, open, $"\"zzRaw\":\"a{(char)Pick([0x01, 0x09, 0x0a, 0x1f])}b\","), new("body", "a raw control character in a string", true));
            case 12:
                return (Insert(body, open, $"\"zzNum\":{Pick(["1e99999", "-0", "123456789012345678901234567890", "0.000000000000000000001"])},"), new("body", "an extreme number in an unknown member", false));
            default:
                return (Insert(body, open, "\"zzEscapes\":\"\\u00e9\\ud83d\\ude00\\/\\\"\\\\\","), new("body", "escapes in an unknown member", false));
        }
    }
}
