import Foundation
import TestSupport
import Testing

@Suite("intro report on the command line: tables, CSV, JSON and a page a manager would forward")
struct ReportCommandTests {
  /// A store with two introducers, four referrals at different stages, built as a rep would.
  func store() throws -> IntroCommand {
    let intro = try IntroCommand()
    let csv = intro.home.file("people.csv")
    try """
    email,name,client
    ann@example.com,Ann <A&B> Ng,yes
    bo@example.com,"Li, Bo",yes
    p1@example.net,Pat <One>,no
    p2@example.net,Pia & Co,no
    p3@example.net,Per Three,no
    """.write(toFile: csv, atomically: true, encoding: .utf8)
    guard try intro.run(["contact", "import", csv]).status == 0 else { throw TestEnvironmentError("import") }
    let referrals: [(String, String, [String])] = [
      ("ann@example.com", "p1@example.net", ["promised", "introduced", "meeting", "won"]),
      ("ann@example.com", "p2@example.net", ["promised", "introduced", "lost"]),
      ("bo@example.com", "p3@example.net", []),
    ]
    for (index, (client, prospect, moves)) in referrals.enumerated() {
      let added = try intro.run([
        "referral", "add", "--client", client, "--prospect", prospect, "--about", "a", "--why-me", "b",
        "--why-now", "c", "--how", "d",
      ])
      guard added.status == 0 else { throw TestEnvironmentError("referral add: \(added.stderr)") }
      for stage in moves {
        guard try intro.run(["referral", "set", String(index + 1), "--stage", stage]).status == 0 else {
          throw TestEnvironmentError("referral set")
        }
      }
    }
    return intro
  }

  @Test func theTableCSVAndJSONAgree() throws {
    let intro = try store()
    defer { intro.remove() }

    let table = try intro.run(["report"])
    let csv = try intro.run(["report", "--csv", "--section", "funnel"])
    let json = try intro.run(["report", "--json"])
    let badSection = try intro.run(["report", "--csv", "--section", "nope"])

    #expect(table.status == 0, "\(table.stderr)")
    #expect(table.stdout.contains("  asked           3  100.0%      100.0%"), "\(table.stdout)")
    #expect(table.stdout.contains("  won             1  100.0%       33.3%"))
    #expect(
      csv.stdout == "stage,count,step_rate,cumulative_rate\r\nasked,3,1.0,1.0\r\npromised,2,0.667,0.667\r\n"
        + "introduced,2,1.0,0.667\r\nmeeting,1,0.5,0.333\r\nwon,1,1.0,0.333\r\n")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(
      Set(object.keys) == [
        "period", "funnel", "lost", "stalled", "open", "closed", "cohorts", "stageDays", "askToIntroduction",
        "onTime", "topIntroducers", "mostAsked", "mail", "reminders", "weeks",
      ])
    #expect(badSection.status == 64)
  }

  @Test func theHTMLPageIsWellFormedSelfContainedAndRendersInChromium() throws {
    let intro = try store()
    defer { intro.remove() }
    let page = intro.home.file("report.html")

    let written = try intro.run(["report", "--html", page])
    let html = try String(contentsOfFile: page, encoding: .utf8)
    let checked = try runCommand(
      "/usr/bin/env",
      [
        "python3", "-c",
        """
        import sys, xml.dom.minidom
        doc = xml.dom.minidom.parse(sys.argv[1])
        svgs = doc.getElementsByTagName("svg")
        print(len(svgs), " ".join(s.getAttribute("id") for s in svgs))
        for s in svgs: xml.dom.minidom.parseString(s.toxml())
        """, page,
      ])
    let screenshot = intro.home.file("report.png")
    let rendered = try runCommand(
      "/usr/bin/env",
      ["python3", TestFiles.servers.appendingPathComponent("render_page.py").path, page, screenshot],
      timeout: 120)

    #expect(written.status == 0, "\(written.stderr)")
    #expect(checked.status == 0, "the page is not well-formed XML: \(checked.stderr)")
    #expect(checked.stdout == "3 chart-funnel chart-weekly chart-introducers\n")
    for section in [
      "funnel", "cohorts", "stage-days", "introducers", "most-asked", "mail", "failures", "reminders",
      "weeks",
    ] {
      #expect(html.contains("id=\"table-\(section)\""), "section \(section) is missing")
    }
    #expect(html.contains("default-src 'none'"))
    #expect(!html.contains("<script"))
    let outside = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
    #expect(!outside.contains("http://") && !outside.contains("https://"), "the page loads nothing")
    #expect(html.contains("Ann &lt;A&amp;B&gt; Ng"), "names are escaped")
    let result = try #require(
      try JSONSerialization.jsonObject(with: Data(rendered.stdout.utf8)) as? [String: Any],
      "\(rendered.stderr)")
    #expect(result["loaded"] as? Bool == true)
    #expect((result["problems"] as? [String]) == [], "\(result["problems"] ?? "")")
    let svgs = try #require(result["svgs"] as? [[String: Any]])
    #expect(svgs.count == 3)
    for svg in svgs {
      #expect((svg["width"] as? Double ?? 0) > 100 && (svg["height"] as? Double ?? 0) > 20, "\(svg)")
    }
    #expect(FileManager.default.fileExists(atPath: screenshot))
  }
}
