// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so that swift-mustache (the peer we
// measure against) is never a dependency of Synoptic itself.
let package = Package(
  name: "SynopticBenchmarks",
  platforms: [.macOS(.v14)],
  dependencies: [
    .package(name: "Synoptic", path: ".."),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
  ],
  targets: [
    .executableTarget(
      name: "SynopticBenchmarks",
      dependencies: [
        .product(name: "SynopticLayout", package: "Synoptic"),
        .product(name: "Mustache", package: "swift-mustache"),
      ],
      path: "Sources/SynopticBenchmarks"
    )
  ],
  swiftLanguageModes: [.v6]
)
