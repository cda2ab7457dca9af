// swift-tools-version: 6.1
import PackageDescription

// Every target compiles in Swift 6 language mode (strict concurrency) with the
// upcoming features the project relies on.
let swiftSettings: [SwiftSetting] = [
  // SE-0335: spell out existential types.
  .enableUpcomingFeature("ExistentialAny"),
  // SE-0444: a file sees only the modules it imports.
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "Synoptic",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "synoptic", targets: ["synoptic"]),
    .library(name: "SynopticCore", targets: ["SynopticCore"]),
    .library(name: "SynopticLayout", targets: ["SynopticLayout"]),
    .library(name: "SynopticTemplates", targets: ["SynopticTemplates"]),
    .library(name: "SynopticExport", targets: ["SynopticExport"]),
    .library(name: "SynopticStore", targets: ["SynopticStore"]),
    .library(name: "SynopticWorkflow", targets: ["SynopticWorkflow"]),
    .library(name: "SynopticServer", targets: ["SynopticServer"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    // The shared store for several instances; swift-nio and swift-nio-ssl are
    // its own dependencies (already built for Hummingbird), named for the
    // futures the store waits on and for TLS to the database.
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
  ],
  targets: [
    .target(
      name: "SynopticCore",
      dependencies: [.product(name: "Yams", package: "Yams")],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SynopticLayout",
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SynopticTemplates",
      dependencies: ["SynopticCore"],
      swiftSettings: swiftSettings
    ),
    .systemLibrary(
      name: "CLibXML2",
      pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
    ),
    .target(
      name: "SynopticExport",
      dependencies: ["SynopticCore", "SynopticTemplates", "SynopticLayout", "CLibXML2"],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SynopticStore",
      dependencies: [
        "SynopticCore", "SynopticTemplates",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SynopticWorkflow",
      dependencies: [
        "SynopticCore", "SynopticTemplates", "SynopticExport", "SynopticStore",
        .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
      ],
      swiftSettings: swiftSettings
    ),
    // The HTTP face: routes, credentials and errors over the workflow library.
    .target(
      name: "SynopticServer",
      dependencies: [
        "SynopticCore", "SynopticTemplates", "SynopticExport", "SynopticStore", "SynopticWorkflow", "SynopticLayout",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "synoptic",
      dependencies: [
        "SynopticCore",
        "SynopticLayout",
        "SynopticTemplates",
        "SynopticExport",
        "SynopticStore",
        "SynopticWorkflow",
        "SynopticServer",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // Helpers shared by the test targets (a seeded generator); never shipped.
    .target(
      name: "SynopticTestSupport",
      path: "Tests/Support",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SynopticCoreTests",
      dependencies: ["SynopticCore", "SynopticTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SynopticLayoutTests",
      dependencies: ["SynopticLayout", "SynopticTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SynopticTemplatesTests",
      dependencies: ["SynopticTemplates"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SynopticExportTests",
      dependencies: ["SynopticExport", "SynopticTestSupport"],
      // Golden files are read by path (#filePath), not bundled as resources.
      exclude: ["Golden"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SynopticStoreTests",
      dependencies: [
        "SynopticStore", "SynopticExport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // Signs out through the workflow with a store that pauses inside its
    // transactions, for the crash and race tests (never shipped).
    .executableTarget(
      name: "synoptic-test-helper",
      dependencies: ["SynopticWorkflow", "SynopticStore", "SynopticTemplates"],
      path: "Tests/Helper",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SynopticWorkflowTests",
      dependencies: ["SynopticWorkflow", "SynopticTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SynopticServerTests",
      dependencies: [
        "SynopticServer", "SynopticWorkflow", "SynopticStore", "SynopticExport", "SynopticTemplates",
        .product(name: "HummingbirdTesting", package: "hummingbird"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SynopticCLITests",
      dependencies: ["synoptic"],
      swiftSettings: swiftSettings
    ),
  ],
  swiftLanguageModes: [.v6]
)
