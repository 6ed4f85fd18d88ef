import Foundation
import TestSupport
import Testing

/// The store shared by several processes, as a rep's shell and cron share it:
/// opt-outs that reach a running send, waits instead of errors, one setup.
@Suite("One store, several processes: opt-outs at once, waits not failures")
struct StoreContentionTests {
  /// Starts `intro send --send --no-limit` on `batch` in the background, at
  /// `perMinute`, and returns once the sink has `started` messages.
  func startSend(_ batch: SendFixture, sink: SMTPSink, started: Int) throws -> ChildProcess {
    let child = try ChildProcess(
      TestFiles.introBinary, batch.sendArguments + ["--send", "--no-limit"],
      environment: batch.intro.environment)
    let deadline = Date().addingTimeInterval(20)
    while Received(sink).recipients.count < started && Date() < deadline && child.process.isRunning {
      usleep(20_000)
    }
    return child
  }

  @Test func anOptOutDuringARunningSendStopsThatPersonsMessage() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    // Ten messages a second: the batch takes 6 s, and the two opt-outs have 3.5 s
    // to land before message 40 (each command takes about 0.2 s, more on a busy machine).
    let batch = try SendFixture(port: sink.port, rows: 60, sendExtra: "messages_per_minute = 600")
    defer { batch.remove() }
    let child = try startSend(batch, sink: sink, started: 5)
    defer { child.stop() }

    let suppress = try batch.intro.run(["contact", "suppress", "client40@example.org"])
    let forget = try batch.intro.run(["contact", "forget", "client50@example.org"])
    let suppressedAt = Received(sink).recipients.count
    let status = child.waitForExit()

    #expect(suppress.status == 0, "\(suppress.stderr)")
    #expect(forget.status == 0, "\(forget.stderr)")
    #expect(suppressedAt < 40, "the opt-outs came too late to prove anything")
    #expect(status == 0, "\(child.standardError())")
    let received = Received(sink).recipients
    #expect(!received.contains("client40@example.org"))
    #expect(!received.contains("client50@example.org"))
    #expect(received.count == 58)
    #expect(Set(received).count == 58)
    #expect(try batch.states() == ["sent": 58, "suppressed": 1])
  }

  @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs to fill needs root"))
  func aDiskThatFillsMidBatchStopsTheRunAndNobodyGetsTwoMessages() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let mount = try TemporaryDirectory()
    defer { mount.remove() }
    let tmpfs = try runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.path])
    guard tmpfs.status == 0 else { throw TestEnvironmentError("mount tmpfs: \(tmpfs.stderr)") }
    defer { _ = try? runCommand("/bin/umount", ["-l", mount.path]) }
    let batch = try SendFixture(
      port: sink.port, rows: 100,
      sendExtra: "messages_per_minute = 1200\n[store]\npath = \"\(mount.file("intro.sqlite"))\"")
    defer { batch.remove() }
    let child = try startSend(batch, sink: sink, started: 15)
    defer { child.stop() }

    let filler = mount.file("filler")
    let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
    let block = [UInt8](repeating: 0, count: 65_536)
    while write(fd, block, block.count) > 0 {}
    close(fd)
    let status = child.waitForExit()
    let stderr = child.standardError()
    unlink(filler)
    var reruns: [Int32] = []
    for _ in 0..<5 where reruns.last != 0 {
      reruns.append(try batch.send("--send", "--no-limit").status)
    }

    #expect(status == 75, "\(stderr)")
    #expect(stderr.contains("disk is full") || stderr.contains("No space left"), "\(stderr)")
    #expect(reruns.last == 0, "\(reruns)")
    let received = Received(sink).recipients
    #expect(Set(received).count == received.count, "someone got two messages")
    #expect(Set(received).count == 100, "someone got none")
  }

  @Test func forgetErasesThePersonFromBatchesAndTheOutbox() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig(
      "[rep]\nname = \"Dana Rep\"\nemail = \"dana@example.com\"\ncompany = \"Acme\"\n")
    let add = try intro.run(["contact", "add", "Jane.Doe@Example.org", "--name", "Jane Doe", "--client"])
    let send = try intro.run(["send", "check-in", "--to", "Jane.Doe@Example.org", "--send"])
    let outbox = intro.home.file("data/intro/outbox")
    let before = (try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []

    let forget = try intro.run(["contact", "forget", "jane.doe@example.org"])

    #expect(add.status == 0, "\(add.stderr)")
    #expect(send.status == 0, "\(send.stderr)")
    #expect(before.count == 1)
    #expect(forget.status == 0, "\(forget.stderr)")
    #expect(forget.stdout.contains("1 outbox files"), "\(forget.stdout)")
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).isEmpty)
    let store = try String(contentsOfFile: intro.home.file("data/intro/intro.sqlite"), encoding: .isoLatin1)
    #expect(!store.lowercased().contains("jane.doe@example.org"))
  }

  @Test func aNewStoreOpenedByManyProcessesAtOnceIsSetUpOnce() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }

    // All started before any has finished, so they race to create the schema.
    let children = try (0..<24).map { index in
      try ChildProcess(
        TestFiles.introBinary, ["contact", "add", "client\(index)@example.org", "--name", "Client \(index)"],
        environment: intro.environment)
    }
    defer { for child in children { child.stop() } }
    let statuses = children.map { $0.waitForExit() }

    #expect(statuses.allSatisfy { $0 == 0 }, "\(statuses) \(children.map { $0.standardError() })")
    let list = try intro.run(["contact", "list", "--json"])
    #expect(list.stdout.components(separatedBy: "@example.org").count - 1 == 24)
  }

  @Test func aLongWriterMakesACommandWaitAndAfterTheTimeoutSaysWhoHoldsTheStore() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.run(["contact", "list"])
    let storePath = intro.home.file("data/intro/intro.sqlite")

    let writer = try StoreWriter(path: storePath, seconds: 2)
    let waited = Date()
    let patient = try intro.run(["contact", "add", "a@example.org", "--name", "A"])
    let elapsed = Date().timeIntervalSince(waited)
    writer.stop()

    _ = try intro.writeConfig("[store]\nbusy_timeout = 0.5\n")
    let holder = try StoreWriter(path: storePath, seconds: 5)
    defer { holder.stop() }
    let impatient = try intro.run(["contact", "add", "b@example.org", "--name", "B"])

    #expect(patient.status == 0, "\(patient.stderr)")
    #expect(elapsed > 1, "it did not wait for the writer")
    #expect(patient.stderr.contains("waiting for the store"), "\(patient.stderr)")
    #expect(impatient.status == 75, "\(impatient.stderr)")
    #expect(impatient.stderr.contains("busy"))
    #expect(impatient.stderr.contains("pid \(holder.pid)"), "\(impatient.stderr)")
    #expect(impatient.stderr.contains("Nothing was lost"))
  }
}

/// Another process holding the store's write lock, as a long `contact import` does.
final class StoreWriter {
  private let child: ChildProcess
  let pid: Int32

  init(path: String, seconds: Double) throws {
    let script = """
      import sqlite3, sys, time
      db = sqlite3.connect(sys.argv[1], isolation_level=None)
      db.execute("BEGIN IMMEDIATE")
      print("locked", flush=True)
      time.sleep(float(sys.argv[2]))
      db.execute("ROLLBACK")
      """
    child = try ChildProcess("/usr/bin/env", ["python3", "-c", script, path, String(seconds)])
    pid = child.process.processIdentifier
    guard child.readLine(timeout: 10) == "locked" else {
      child.stop()
      throw TestEnvironmentError("python3 could not lock \(path)")
    }
  }

  func stop() { child.stop() }
}
