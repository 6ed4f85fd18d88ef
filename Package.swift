// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "intro",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "intro", targets: ["intro"]),
    .library(name: "IntroKit", targets: ["IntroKit"]),
    .library(name: "IntroTemplates", targets: ["IntroTemplates"]),
    .library(name: "IntroMail", targets: ["IntroMail"]),
    .library(name: "IntroSMTP", targets: ["IntroSMTP"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
  ],
  targets: [
    // libcurl, as Debian ships it (libcurl4-openssl-dev), opened on first use
    // behind non-variadic wrappers Swift can call.
    .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
    // libpq, as Debian ships it (libpq5), opened when a command first connects
    // to a PostgreSQL store.
    .target(name: "CPostgres", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
    .target(name: "IntroTemplates"),
    .target(name: "IntroMail"),
    .target(name: "IntroSMTP", dependencies: ["IntroMail", "CCurl"]),
    .target(
      name: "IntroStore", dependencies: ["CPostgres", .product(name: "GRDB", package: "GRDB.swift")]),
    .target(
      name: "IntroKit",
      dependencies: [
        "IntroTemplates", "IntroMail", "IntroSMTP", "IntroStore", .product(name: "Ink", package: "Ink"),
      ]
    ),
    .executableTarget(
      name: "intro",
      dependencies: [
        "IntroKit",
        "IntroTemplates",
        "IntroStore",
        "IntroMail",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .target(name: "TestSupport", dependencies: ["IntroSMTP", "IntroStore"], path: "Tests/TestSupport"),
    .testTarget(
      name: "IntroTemplatesTests", dependencies: ["IntroTemplates", "TestSupport"], exclude: ["MustacheSpec"]),
    .testTarget(name: "IntroMailTests", dependencies: ["IntroMail", "TestSupport"]),
    .testTarget(name: "IntroSMTPTests", dependencies: ["IntroSMTP", "IntroMail", "TestSupport"]),
    .testTarget(
      name: "IntroKitTests", dependencies: ["IntroKit", "IntroStore", "TestSupport"], exclude: ["Golden"]),
    .testTarget(name: "IntroStoreTests", dependencies: ["IntroStore", "TestSupport"]),
    .testTarget(name: "IntroCLITests", dependencies: ["TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
