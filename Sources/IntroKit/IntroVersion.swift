/// The version `intro --version` prints.
public enum IntroVersion {
  public static let current = "0.5.0"
}
