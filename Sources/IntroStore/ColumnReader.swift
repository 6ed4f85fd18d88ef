import Foundation
internal import GRDB

/// A row read by column position, from either backend: GRDB's `Row` on a
/// SQLite file, an array of ``SQLValue`` from PostgreSQL. The domain types
/// (``Contact``, ``Referral``) are decoded once, from either.
protocol ColumnReader {
  func text(_ column: Int) -> String?
  func integer(_ column: Int) -> Int64?
}

extension ColumnReader {
  /// Text that is never NULL in the schema; "" if it is.
  func string(_ column: Int) -> String { text(column) ?? "" }
  /// A 0/1 column.
  func flag(_ column: Int) -> Bool { (integer(column) ?? 0) != 0 }
}

extension Row: ColumnReader {
  func text(_ column: Int) -> String? { self[column] }
  func integer(_ column: Int) -> Int64? { self[column] }
}

extension Array: ColumnReader where Element == SQLValue {
  func text(_ column: Int) -> String? { self[column].text }
  func integer(_ column: Int) -> Int64? { self[column].integer }
}
