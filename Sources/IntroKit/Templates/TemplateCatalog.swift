import Foundation
public import IntroTemplates

/// Where templates come from: the built-in set, the folder in `[templates]`
/// of the configuration, and `--templates DIR`, each overriding the one before
/// by name.
public enum TemplateCatalog {
  /// The templates that ship inside the binary (the `Templates/` folder of the repository).
  public static func builtin() throws(TemplateLoadError) -> TemplateLibrary {
    do {
      return try TemplateLibrary(sources: BuiltinTemplates.sources)
    } catch {
      throw .syntax(error)
    }
  }

  /// The built-in templates, overridden by `[templates] path`, then by `directory`.
  public static func library(
    config: IntroConfig, directory: String?, environment: [String: String]
  ) throws(TemplateLoadError) -> TemplateLibrary {
    var library = try builtin()
    for folder in [config.templates.path, directory].compactMap({ $0 }) {
      library = library.overridden(by: try load(directory: Paths.expand(folder, environment)))
    }
    return library
  }

  /// Every `*.mustache` file below `directory`, named by its path without the
  /// extension. A file with a syntax error is kept in the library's
  /// ``TemplateLibrary/problems``, so one bad file does not stop the others.
  /// - Parameter fragments: read every file as a fragment (no header block).
  public static func load(directory: String, fragments: Bool = false) throws(TemplateLoadError)
    -> TemplateLibrary
  {
    var library = TemplateLibrary()
    for (name, path) in try files(in: directory) {
      let source = try read(path)
      do {
        try library.add(name: name, source: source, file: path, fragment: fragments)
      } catch {
        library.addBroken(name: name, problem: error)
      }
    }
    return library
  }

  /// Reads a template file as UTF-8.
  public static func read(_ path: String) throws(TemplateLoadError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .unreadable(path, "no such file, or no permission to read it")
    }
    guard let text = String(bytes: data, encoding: .utf8) else {
      throw .unreadable(path, "the file is not UTF-8; save it as UTF-8")
    }
    return text
  }

  /// `(name, path)` for every `*.mustache` file below `directory`, sorted by name.
  public static func files(in directory: String) throws(TemplateLoadError) -> [(String, String)] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
    else {
      throw .unreadable(directory, "no such folder")
    }
    let base = URL(fileURLWithPath: directory).standardizedFileURL.path
    var found: [(String, String)] = []
    let enumerator = FileManager.default.enumerator(atPath: base)
    while let relative = enumerator?.nextObject() as? String {
      guard relative.hasSuffix(".mustache") else { continue }
      found.append((String(relative.dropLast(".mustache".count)), base + "/" + relative))
    }
    return found.sorted { $0.0 < $1.0 }
  }
}

/// A template file that cannot be used.
public enum TemplateLoadError: Error, Sendable, CustomStringConvertible {
  /// A syntax error, with its file, line and column.
  case syntax(TemplateSyntaxError)
  /// The file or folder cannot be read.
  case unreadable(String, String)

  public var description: String {
    switch self {
    case .syntax(let error): error.description
    case .unreadable(let path, let reason): "\(path): \(reason)"
    }
  }
}
