// swift-tools-version:6.1
// The benchmarks live in their own package so that the main build never
// compiles the peer engine they are measured against.
import PackageDescription

let package = Package(
  name: "intro-benchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    .package(name: "intro", path: ".."),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
  ],
  targets: [
    .executableTarget(
      name: "send-floor",
      dependencies: [
        .product(name: "IntroSMTP", package: "intro"),
        .product(name: "IntroMail", package: "intro"),
      ]
    ),
    .executableTarget(
      name: "template-bench",
      dependencies: [
        .product(name: "IntroTemplates", package: "intro"),
        .product(name: "Mustache", package: "swift-mustache"),
      ]
    )
  ],
  swiftLanguageModes: [.v6]
)
