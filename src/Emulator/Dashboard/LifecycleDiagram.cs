using System.Text;
using Emulator.Domain;

namespace Emulator.Dashboard;

/// <summary>The subscription machine drawn as SVG from its own transitions, with the current state filled in.</summary>
public static class LifecycleDiagram
{
    private static readonly SubscriptionStatus[] Order =
        [SubscriptionStatus.AwaitingAuthorization, SubscriptionStatus.Active, SubscriptionStatus.Cancelled, SubscriptionStatus.Terminated];

    public static string Svg(SubscriptionStatus current)
    {
        const int width = 210, gap = 70, top = 70, height = 44;
        int X(SubscriptionStatus s) => Array.IndexOf(Order, s) * (width + gap) + 10;
        var svg = new StringBuilder($"<svg id=\"lifecycle\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{(Order.Length * (width + gap)) + 20}\" height=\"230\" font-size=\"12\" font-family=\"system-ui,sans-serif\">");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>");
        var lane = 0;
        foreach (var group in Subscription.Transitions().GroupBy(t => (t.From, t.To)))
        {
            var label = string.Join(", ", group.Select(t => t.Trigger));
            var (from, to) = group.Key;
            if (from == to)
            {
                var cx = X(from) + width / 2;
                svg.Append($"<path d=\"M{cx - 20},{top} C{cx - 30},{top - 40} {cx + 30},{top - 40} {cx + 20},{top}\" fill=\"none\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>");
                svg.Append($"<text x=\"{cx}\" y=\"{top - 34}\" text-anchor=\"middle\">{Html.E(label)}</text>");
                continue;
            }

            var forward = X(to) > X(from);
            var y = forward ? top + height + 20 + 22 * lane++ : top - 10;
            var x1 = X(from) + width / 2;
            var x2 = X(to) + width / 2;
            svg.Append($"<path d=\"M{x1},{top + height} L{x1},{y} L{x2},{y} L{x2},{top + height}\" fill=\"none\" stroke=\"#999\" marker-end=\"url(#arrow)\"/>");
            svg.Append($"<text x=\"{(x1 + x2) / 2}\" y=\"{y - 3}\" text-anchor=\"middle\">{Html.E(label)}</text>");
        }

        foreach (var state in Order)
        {
            var isCurrent = state == current;
            svg.Append($"<rect x=\"{X(state)}\" y=\"{top}\" width=\"{width}\" height=\"{height}\" rx=\"8\" fill=\"{(isCurrent ? "#1f6feb" : "#fff")}\" stroke=\"#1f6feb\" stroke-width=\"2\"{(isCurrent ? " data-current=\"true\"" : "")}/>");
            svg.Append($"<text x=\"{X(state) + width / 2}\" y=\"{top + 27}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"{(isCurrent ? "#fff" : "#1f6feb")}\">{state.ToWire()}</text>");
        }

        return svg.Append("</svg>").ToString();
    }
}
