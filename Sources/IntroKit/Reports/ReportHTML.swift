import Foundation

extension FunnelReport {
  /// One self-contained page: no external assets, no JavaScript, a
  /// `default-src 'none'` content security policy; well-formed as XML too;
  /// inline SVG charts (the
  /// funnel, asks and wins per week, top introducers) and every table; light
  /// and dark mode, and fit for printing.
  public var html: String {
    var body = ""
    let period = "\(self.period.since ?? "the start") to \(self.period.until ?? "now")"
    body += "<header><h1>Introductions</h1><p>Asked for from \(Self.escape(period)).</p></header>\n"
    body += "<section id=\"funnel\"><h2>Funnel</h2>\n\(funnelChart)\n"
    body +=
      "<p class=\"note\">lost \(lost), stalled \(stalled) · open \(open), closed \(closed) · "
      + "ask to introduction: median \(Self.days(askToIntroduction.medianDays)), 90th percentile "
      + "\(Self.days(askToIntroduction.p90Days)) · promised introductions made on time: \(onTime.onTime) of "
      + "\(onTime.promised) (\(Self.percent(onTime.rate)))</p>\n"
    body += "</section>\n<section id=\"weekly\"><h2>Asks and wins per week</h2>\n\(weeklyChart)\n</section>\n"
    body += "<section id=\"introducers-chart\"><h2>Top introducers</h2>\n\(introducerChart)\n</section>\n"
    for (title, section) in sections(for: .text) {
      body += "<section id=\"table-\(section.name)\"><h2>\(Self.escape(title))</h2>\n"
      body += Self.htmlTable(section)
      body += "</section>\n"
    }
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8" />
      <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <title>Introductions: \(Self.escape(period))</title>
      <style>
      :root { --ink: #1d2330; --muted: #5b6478; --paper: #ffffff; --line: #d8dce6; --bar: #2f6fde; --won: #1f9d55; --asks: #2f6fde; }
      @media (prefers-color-scheme: dark) {
        :root { --ink: #e8ebf2; --muted: #a3abbd; --paper: #151922; --line: #343b4b; --bar: #6f9bff; --won: #4fd08a; --asks: #6f9bff; }
      }
      @media print { :root { --ink: #000; --muted: #333; --paper: #fff; --line: #bbb; --bar: #2f6fde; --won: #1f9d55; } section { break-inside: avoid; } }
      body { margin: 2rem auto; max-width: 60rem; padding: 0 1rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--paper); }
      h1 { margin: 0 0 .2rem; font-size: 1.6rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; }
      header p, .note { color: var(--muted); }
      table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
      th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); }
      th { color: var(--muted); font-weight: 600; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
      svg { display: block; width: 100%; height: auto; }
      svg text { fill: var(--ink); font: 13px system-ui, sans-serif; } svg .muted { fill: var(--muted); }
      svg .bar { fill: var(--bar); } svg .won { fill: var(--won); } svg .axis { stroke: var(--line); }
      svg .asks { stroke: var(--asks); fill: none; stroke-width: 2.5; } svg .wins { stroke: var(--won); fill: none; stroke-width: 2.5; }
      </style>
      </head>
      <body>
      \(body)</body>
      </html>

      """
  }

  private var funnelChart: String {
    let top = max(1, funnel.map(\.count).max() ?? 1)
    let rowHeight = 34
    var svg = Self.svgOpen(
      id: "chart-funnel", width: 720, height: funnel.count * rowHeight + 8, label: "Funnel")
    for (index, step) in funnel.enumerated() {
      let y = index * rowHeight + 4
      let width = max(2, Int(Double(step.count) / Double(top) * 360))
      svg += "<text x=\"0\" y=\"\(y + 21)\">\(step.stage)</text>"
      svg += "<rect class=\"bar\" x=\"110\" y=\"\(y + 4)\" width=\"\(width)\" height=\"24\" rx=\"3\"/>"
      svg += "<text x=\"\(118 + width)\" y=\"\(y + 21)\">\(step.count)</text>"
      svg +=
        "<text class=\"muted\" x=\"\(168 + width)\" y=\"\(y + 21)\">\(Self.percent(step.cumulativeRate))"
        + (index > 0 ? " · step \(Self.percent(step.stepRate))" : "") + "</text>"
    }
    return svg + "</svg>"
  }

  private var weeklyChart: String {
    let width = 720
    let height = 240
    var svg = Self.svgOpen(id: "chart-weekly", width: width, height: height, label: "Asks and wins per week")
    svg +=
      "<rect class=\"bar\" x=\"45\" y=\"4\" width=\"14\" height=\"4\"/><text x=\"64\" y=\"10\">asks</text>"
    svg +=
      "<rect class=\"won\" x=\"110\" y=\"4\" width=\"14\" height=\"4\"/><text x=\"129\" y=\"10\">wins</text>"
    svg += "<g transform=\"translate(0 20)\">"
    svg += "<line class=\"axis\" x1=\"40\" y1=\"190\" x2=\"710\" y2=\"190\"/>"
    svg += "<line class=\"axis\" x1=\"40\" y1=\"10\" x2=\"40\" y2=\"190\"/>"
    let top = max(1, weeks.map { max($0.asks, $0.wins) }.max() ?? 1)
    svg +=
      "<text class=\"muted\" x=\"0\" y=\"16\">\(top)</text><text class=\"muted\" x=\"0\" y=\"194\">0</text>"
    if weeks.isEmpty {
      svg += "<text class=\"muted\" x=\"60\" y=\"100\">no asks in this period</text>"
    } else {
      // A single week is drawn as a level line across the chart, so the chart is never empty.
      let shown = weeks.count == 1 ? [weeks[0], weeks[0]] : weeks
      let step = 660.0 / Double(shown.count - 1)
      func points(_ value: (Week) -> Int) -> String {
        shown.enumerated().map { index, week in
          String(
            format: "%.1f,%.1f", 45 + Double(index) * step, 190 - Double(value(week)) / Double(top) * 175)
        }.joined(separator: " ")
      }
      let asks = points(\.asks)
      let wins = points(\.wins)
      svg += "<polyline class=\"asks\" points=\"\(asks)\"/><polyline class=\"wins\" points=\"\(wins)\"/>"
      svg += "<text class=\"muted\" x=\"45\" y=\"212\">\(weeks.first?.week ?? "")</text>"
      svg += "<text class=\"muted\" x=\"710\" y=\"212\" text-anchor=\"end\">\(weeks.last?.week ?? "")</text>"
    }
    return svg + "</g></svg>"
  }

  private var introducerChart: String {
    let rowHeight = 30
    let rows = max(1, topIntroducers.count)
    var svg = Self.svgOpen(
      id: "chart-introducers", width: 720, height: rows * rowHeight + 20, label: "Top introducers")
    guard !topIntroducers.isEmpty else {
      return svg + "<text class=\"muted\" x=\"0\" y=\"22\">no introductions in this period</text></svg>"
    }
    let top = max(1, topIntroducers.map(\.introductions).max() ?? 1)
    svg +=
      "<rect class=\"bar\" x=\"200\" y=\"2\" width=\"14\" height=\"4\"/><text x=\"219\" y=\"8\">made</text>"
    svg +=
      "<rect class=\"won\" x=\"270\" y=\"2\" width=\"14\" height=\"4\"/><text x=\"289\" y=\"8\">won</text>"
    for (index, introducer) in topIntroducers.enumerated() {
      let y = index * rowHeight + 16
      let made = max(2, Int(Double(introducer.introductions) / Double(top) * 400))
      let won = Int(Double(introducer.won) / Double(top) * 400)
      svg += "<text x=\"0\" y=\"\(y + 19)\">\(Self.escape(String(introducer.name.prefix(24))))</text>"
      svg += "<rect class=\"bar\" x=\"200\" y=\"\(y + 4)\" width=\"\(made)\" height=\"20\" rx=\"3\"/>"
      if won > 0 {
        svg += "<rect class=\"won\" x=\"200\" y=\"\(y + 4)\" width=\"\(won)\" height=\"20\" rx=\"3\"/>"
      }
      svg +=
        "<text x=\"\(208 + made)\" y=\"\(y + 19)\">\(introducer.introductions) made, \(introducer.won) won</text>"
    }
    return svg + "</svg>"
  }

  private static func svgOpen(id: String, width: Int, height: Int, label: String) -> String {
    "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" "
      + "width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(escape(label))\">"
  }

  private static func htmlTable(_ section: Section) -> String {
    guard !section.rows.isEmpty else { return "<p class=\"note\">none</p>\n" }
    var html = "<table><thead><tr>"
    for (index, name) in section.header.enumerated() {
      html +=
        "<th\(section.numeric.contains(index) ? " class=\"n\"" : "")>"
        + escape(name.replacingOccurrences(of: "_", with: " ")) + "</th>"
    }
    html += "</tr></thead><tbody>\n"
    for row in section.rows {
      html += "<tr>"
      for (index, cell) in row.enumerated() {
        html += "<td\(section.numeric.contains(index) ? " class=\"n\"" : "")>\(escape(cell))</td>"
      }
      html += "</tr>\n"
    }
    return html + "</tbody></table>\n"
  }

  /// Text as HTML and XML character data or attribute values.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }
}
