import ArgumentParser
import IntroKit

@main
struct Intro: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "intro",
    abstract: "Ask for, make and follow up on introductions from happy clients.",
    discussion: """
      intro keeps what your clients tell you about the people they could introduce you to, \
      turns it into ready-to-send emails, and delivers them through your SMTP relay, or into \
      a local outbox of .eml files when no relay is configured.

      Exit codes: 0 ok, 64 usage, 65 bad input (nothing sent), 69 rejected by the server, \
      75 temporary failure (run again later), 76 uncertain (the server may have the message), \
      78 configuration.
      """,
    version: IntroVersion.current,
    subcommands: [
      Init.self, ContactCommand.self, ReferralCommand.self, Touch.self, BlurbCommand.self, Suggest.self,
      Render.self, Templates.self,
      Send.self, Due.self, Remind.self, Pause.self, Resume.self, Log.self, Resolve.self, Report.self,
      Deliver.self, Doctor.self, StoreCommand.self,
    ]
  )
}
