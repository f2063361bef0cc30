// swift-tools-version:6.2
import PackageDescription

// Styrbord: five message-driven services sharing one domain model and the kits in Shared/.
// Layout and the reasons behind it: docs/architecture.md.

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "styrbord",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Domain", targets: ["Domain"]),
        .library(name: "Contracts", targets: ["Contracts"]),
        .library(name: "Messaging", targets: ["Messaging"]),
        .library(name: "Persistence", targets: ["Persistence"]),
        .library(name: "ServiceKit", targets: ["ServiceKit"]),
        .executable(name: "styrbord-bench", targets: ["KitBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.1.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C bridges: module map + shim.h, flags from pkg-config.
        .systemLibrary(
            name: "CRdKafka", path: "Shared/CRdKafka", pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(
            name: "CLibPQ", path: "Shared/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),

        .target(name: "Domain", path: "Shared/Domain", swiftSettings: strict),
        .target(name: "Blocking", path: "Shared/Blocking", swiftSettings: strict),
        .target(
            name: "Contracts", dependencies: ["Domain"], path: "Shared/Contracts",
            swiftSettings: strict),
        .target(
            name: "Messaging",
            dependencies: [
                "CRdKafka", "Blocking",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Messaging", swiftSettings: strict),
        .target(
            name: "Persistence",
            dependencies: [
                "CLibPQ", "Blocking",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Persistence", swiftSettings: strict),
        .target(
            name: "ServiceKit",
            dependencies: [
                "Contracts", "Messaging", "Persistence",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Shared/ServiceKit",
            resources: [.copy("Resources/Migrations")],
            swiftSettings: strict),

        .executableTarget(
            name: "KitBenchmark",
            dependencies: [
                "Messaging", "Persistence", "Domain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/KitBenchmark", swiftSettings: strict),

        // A small process the integration tests start and kill (migrations from two
        // processes at once, an outbox relay killed between publish and mark-sent).
        .executableTarget(
            name: "KitProbe",
            dependencies: [
                "ServiceKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tests/KitProbe", swiftSettings: strict),

        .target(
            name: "TestSupport", dependencies: [.product(name: "Crypto", package: "swift-crypto")], path: "Tests/TestSupport",
            swiftSettings: strict),
        .testTarget(name: "DomainTests", dependencies: ["Domain"], swiftSettings: strict),
        .testTarget(
            name: "ContractsTests", dependencies: ["Contracts", "ServiceKit", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Messaging", "Persistence", "ServiceKit", "Contracts", "KitProbe", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
    ]
)

// The five services: a library with everything (tests import it) and a one-file executable.
let services: [(name: String, module: String)] = [
    ("intake", "IntakeService"),
    ("analysis", "AnalysisService"),
    ("prioritisation", "PrioritisationService"),
    ("benefits", "BenefitsService"),
    ("notifications", "NotificationsService"),
]
for service in services {
    package.targets.append(
        .target(
            name: service.module,
            dependencies: ["Domain", "Contracts", "ServiceKit", "Persistence", "Messaging",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Hummingbird", package: "hummingbird")]
                + (service.name == "notifications" ? [.product(name: "AsyncHTTPClient", package: "async-http-client")] : []),
            path: "services/\(service.name)/Sources/\(service.module)",
            resources: [.copy("Migrations")] + (["intake", "notifications"].contains(service.name) ? [.copy("Data")] : []),
            swiftSettings: strict))
    package.targets.append(
        .executableTarget(
            name: "styrbord-\(service.name)", dependencies: [.target(name: service.module), "ServiceKit"],
            path: "services/\(service.name)/Sources/styrbord-\(service.name)", swiftSettings: strict))
    package.products.append(.executable(name: "styrbord-\(service.name)", targets: ["styrbord-\(service.name)"]))
}

package.targets.append(
    .testTarget(
        name: "EndToEndTests",
        dependencies: ["Persistence", "TestSupport", .product(name: "Logging", package: "swift-log")] + services.map { .target(name: "styrbord-\($0.name)") },
        swiftSettings: strict))
package.targets.append(
    .testTarget(
        name: "ServicesTests",
        dependencies: ["Domain", "Contracts"] + services.map { .target(name: $0.module) },
        swiftSettings: strict))
