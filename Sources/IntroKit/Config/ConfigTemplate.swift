/// The commented configuration `intro init` writes.
public enum ConfigTemplate {
  public static let text = """
    # intro configuration (TOML). Unknown keys are errors, so a typo never
    # silently changes what is sent. See README.md for every key.
    version = 1

    [rep]
    # name = "Dana Rep"
    # email = "dana@example.com"
    # title = "Account Executive"
    # company = "Acme Analytics"
    # phone = "+1 555 0100"
    # calendar_link = "https://cal.example.com/dana"

    # Without [smtp], messages are written to the outbox folder as .eml files.
    # [smtp]
    # url = "smtp://mail.example.com:587"        # STARTTLS required; smtps://host:465 for implicit TLS
    # username = "dana@example.com"
    # password_command = "pass show mail/dana"   # run only when sending

    # [store]
    # path = "~/.local/share/intro/intro.sqlite"
    # busy_timeout = 300                         # seconds to wait for another intro writing to the store

    # [templates]
    # path = "~/intro-templates"                 # your templates override the built-in ones by name

    """
}
