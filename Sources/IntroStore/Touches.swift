import Foundation
internal import GRDB

/// A call, meeting, email or note a rep records about a contact.
public struct Touch: Sendable, Equatable, Codable {
  public enum Kind: String, Sendable, CaseIterable, Codable {
    case call, meeting, note, email
  }

  public var id: Int64
  public var contactID: Int64
  public var kind: Kind
  public var note: String
  public var happenedAt: String
}

extension Store {
  public func addTouch(contactID: Int64, kind: Touch.Kind, note: String, at date: Date = Date())
    throws(StoreError) -> Touch
  {
    try session {
      try ContactRecords.addTouch(contactID: contactID, kind: kind, note: note, at: date, rep: nil, $0)
    }
  }

  public func touches(contactID: Int64) throws(StoreError) -> [Touch] {
    try session(writing: false) { try ContactRecords.touches(contactID: contactID, $0) }
  }
}
