// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Satchel",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0")
    ],
    targets: [
        // zlib through a system-library module: Foundation has no compression on Linux.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The generic sync engine: no SQLite, no network, no CRM words.
        .target(name: "SyncCore", dependencies: ["CZlib"], swiftSettings: swiftSettings),

        // The CRM declared in SyncCore's terms.
        .target(name: "SatchelModel", dependencies: ["SyncCore"], swiftSettings: swiftSettings),

        // The laptop replica and the hub's authoritative store, both on SQLite.
        .target(
            name: "ReplicaStore",
            dependencies: ["SatchelModel", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),

        // Test-only helpers (never a product).
        .target(name: "SatchelTestSupport", dependencies: ["ReplicaStore"], swiftSettings: swiftSettings),

        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore", "SatchelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SatchelModelTests", dependencies: ["SatchelModel", "SatchelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ReplicaStoreTests", dependencies: ["ReplicaStore", "SatchelTestSupport"], swiftSettings: swiftSettings),
    ]
)
