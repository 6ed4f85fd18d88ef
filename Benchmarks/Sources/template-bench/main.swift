// Renders the shared sales-blurb benchmark with intro's engine and with
// swift-mustache 2.1.1, in one process, on the same data, and checks that both
// produce byte-identical output.
//
//   template-bench --dir DIR                       both engines, renders/s and the ratio
//   template-bench --dir DIR --engine intro --out F   the JSON-line protocol of
//                                                  ../shared/bench/template/README.md
//
// DIR is made by ../shared/bench/template/gen_contexts.py (`make bench` does it).
import Foundation
import IntroTemplates
import Mustache

struct Arguments {
  var directory = ""
  var engine = "both"
  var out: String?
  var repeats = 3

  init() {
    var iterator = CommandLine.arguments.dropFirst().makeIterator()
    while let argument = iterator.next() {
      switch argument {
      case "--dir": directory = iterator.next() ?? ""
      case "--engine": engine = iterator.next() ?? "both"
      case "--out": out = iterator.next()
      case "--repeats": repeats = Int(iterator.next() ?? "") ?? 3
      default:
        fail("unknown argument \(argument); use --dir DIR [--engine intro|swift-mustache|both] [--out FILE]")
      }
    }
    if directory.isEmpty { fail("--dir DIR is required (make it with gen_contexts.py)") }
  }
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("template-bench: \(message)\n".utf8))
  exit(2)
}

func read(_ path: String) -> String {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
  return text
}

struct Run {
  let engine: String
  let renders: Int
  let seconds: Double
  let output: [UInt8]

  var rendersPerSecond: Double { Double(renders) / seconds }

  var json: String {
    #"{"engine": "\#(engine)", "renders": \#(renders), "seconds": \#(seconds), "bytes": \#(output.count), "includes_parse": false}"#
  }
}

/// An output buffer whose pages are already touched, so page faults do not land in the timed loop.
func outputBuffer(renders: Int) -> [UInt8] {
  var buffer = [UInt8](repeating: 0, count: renders * 1600)
  buffer.removeAll(keepingCapacity: true)
  return buffer
}

func now() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// intro's engine, with its template, partial and contexts loaded (untimed).
struct IntroEngine {
  let template: Template
  let partials: PartialSet
  let contexts: [TemplateValue]

  init(template source: String, signature: String, contexts json: String) {
    do {
      template = try Template(source, name: "blurb.mustache")
      partials = try PartialSet(sources: ["signature": signature])
      guard case .list(let contexts) = try TemplateValue(json: json) else {
        fail("contexts.json is not a list")
      }
      self.contexts = contexts
    } catch {
      fail("intro: \(error)")
    }
  }

  /// Renders every context in order, HTML-escaped, strict; only this loop is timed.
  func run() -> Run {
    let options = RenderOptions(strict: true, html: true)
    var output = outputBuffer(renders: contexts.count)
    let start = now()
    do {
      for context in contexts {
        try template.render(context, into: &output, partials: partials, options: options)
      }
    } catch {
      fail("intro: \(error)")
    }
    return Run(engine: "intro", renders: contexts.count, seconds: now() - start, output: output)
  }
}

/// swift-mustache, with contexts as Foundation objects, as its users pass them (loaded untimed).
struct SwiftMustacheEngine {
  let library: MustacheLibrary
  let contexts: [Any]

  init(template source: String, signature: String, contexts json: String) {
    do {
      var library = MustacheLibrary()
      try library.register(source, named: "blurb")
      try library.register(signature, named: "signature")
      self.library = library
      guard let contexts = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] else {
        fail("contexts.json is not a list")
      }
      self.contexts = contexts
    } catch {
      fail("swift-mustache: \(error)")
    }
  }

  func run() -> Run {
    var output = outputBuffer(renders: contexts.count)
    let start = now()
    for context in contexts {
      guard let text = library.render(context, withTemplate: "blurb") else {
        fail("swift-mustache rendered nothing")
      }
      output += Array(text.utf8)
    }
    return Run(engine: "swift-mustache", renders: contexts.count, seconds: now() - start, output: output)
  }
}

let arguments = Arguments()
let source = read(arguments.directory + "/blurb.mustache")
let signature = read(arguments.directory + "/partials/signature.mustache")
let contexts = read(arguments.directory + "/contexts.json")

func best(_ run: () -> Run) -> Run {
  var runs: [Run] = []
  for _ in 0..<max(1, arguments.repeats) { runs.append(run()) }
  return runs.min { $0.seconds < $1.seconds } ?? run()
}

// Both engines load their inputs before either is timed, so neither runs on a
// heap the other has churned.
/// The JSON-line protocol: one engine, its line on stdout, its output in --out.
func report(_ run: Run) {
  if let out = arguments.out, !FileManager.default.createFile(atPath: out, contents: Data(run.output)) {
    fail("cannot write \(out)")
  }
  print(run.json)
}

switch arguments.engine {
case "intro":
  let engine = IntroEngine(template: source, signature: signature, contexts: contexts)
  report(best { engine.run() })
case "swift-mustache":
  let engine = SwiftMustacheEngine(template: source, signature: signature, contexts: contexts)
  report(best { engine.run() })
case "both":
  let introEngine = IntroEngine(template: source, signature: signature, contexts: contexts)
  let peerEngine = SwiftMustacheEngine(template: source, signature: signature, contexts: contexts)
  let peer = best { peerEngine.run() }
  let ours = best { introEngine.run() }
  print(peer.json)
  print(ours.json)
  guard peer.output == ours.output else {
    let firstDifference = zip(peer.output, ours.output).enumerated().first { $0.element.0 != $0.element.1 }?
      .offset
    fail(
      "outputs differ (\(peer.output.count) vs \(ours.output.count) bytes, first difference at byte \(firstDifference ?? -1))"
    )
  }
  print("outputs identical: \(ours.output.count) bytes for \(ours.renders) renders")
  print(String(format: "swift-mustache 2.1.1: %.0f renders/s", peer.rendersPerSecond))
  print(String(format: "intro:                %.0f renders/s", ours.rendersPerSecond))
  print(String(format: "ratio: %.1fx (target: at least 30x)", ours.rendersPerSecond / peer.rendersPerSecond))
default:
  fail("--engine is intro, swift-mustache or both")
}
