// swift-tools-version:6.1
import PackageDescription

// Warnings are errors in every build of our own targets (CI's and a developer's alike), so
// `swift build` and `swift test` share one set of flags and one build.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .unsafeFlags(["-warnings-as-errors"]),
]

let package = Package(
    name: "Satchel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "satchel-server", targets: ["satchel-server"]),
        .executable(name: "satchel", targets: ["satchel"]),
        .executable(name: "satchel-bench", targets: ["satchel-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // zlib through a system-library module: Foundation has no compression on Linux.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The generic sync engine: no SQLite, no network, no CRM words.
        .target(name: "SyncCore", dependencies: ["CZlib"], swiftSettings: swiftSettings),

        // The CRM declared in SyncCore's terms.
        .target(name: "SatchelModel", dependencies: ["SyncCore"], swiftSettings: swiftSettings),

        // The hub's sync policy as a storage-free planner: given an operation and a read view of
        // the store, it returns every write to make (no SQL, no CRM words).
        .target(name: "HubEngine", dependencies: ["SyncCore"], swiftSettings: swiftSettings),

        // The laptop's replica on SQLite: its tables, change capture, outbox, pulls, reports.
        .target(
            name: "ReplicaStore",
            dependencies: [
                "SatchelModel", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // The server's authoritative store on SQLite: loads what the planner asks, applies its
        // plans in one transaction, answers the feed, the queue and the directory.
        .target(
            name: "HubStore",
            dependencies: [
                "SatchelModel", "HubEngine", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // The hub's storage on PostgreSQL, for several servers sharing one database: the same
        // seam as the SQLite storage (HubStorage), nothing of the policy.
        .target(
            name: "HubPostgres",
            dependencies: [
                "HubStore", "HubEngine", "SatchelModel", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The sync server as a library: HTTP API, auth, limits, storage behind ServerStore.
        .target(
            name: "SyncServer",
            dependencies: [
                "HubStore", "HubPostgres", "HubEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),

        // The HTTP client for push / pull / bootstrap against a replica: AsyncHTTPClient for HTTP and
        // HTTPS (URLSession on Linux cannot trust a private CA, and spins while awaiting an answer).
        .target(
            name: "SyncClient",
            dependencies: [
                "ReplicaStore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // The server executable: parses arguments, builds the application, runs it.
        .executableTarget(
            name: "satchel-server",
            dependencies: ["SyncServer", "HubStore", "HubPostgres", "HubEngine", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // The rep's command line: parses, calls the replica and the sync client, prints.
        .executableTarget(
            name: "satchel",
            dependencies: [
                "ReplicaStore", "SyncClient", "SatchelModel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // The fuzz target for the changeset decoder and the merger (scripts/fuzz.sh builds it for
        // libFuzzer; built normally it replays inputs).
        .executableTarget(name: "satchel-fuzz", dependencies: ["SyncCore", "SatchelModel"], swiftSettings: swiftSettings),

        // The benchmark of the standard workload (../shared/bench/WORKLOAD.md): phases, ceiling,
        // wire and load modes; the executable parses arguments and prints.
        .target(
            name: "SatchelBench",
            dependencies: [
                "ReplicaStore", "HubStore", "HubPostgres", "HubEngine", "SyncServer", "SyncClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "satchel-bench",
            dependencies: ["SatchelBench", "HubPostgres", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),

        // Test-only helpers (never a product).
        .target(
            name: "SatchelTestSupport",
            dependencies: [
                "ReplicaStore", "HubStore", "HubPostgres", "HubEngine", "SyncServer", "SyncClient",
                .product(name: "Logging", package: "swift-log"),
                // chromedriver's answers ("Content-Length:251", no space) are beyond URLSession on Linux.
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore", "SatchelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SatchelModelTests", dependencies: ["SatchelModel", "SatchelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HubEngineTests", dependencies: ["HubEngine", "SatchelModel", "SatchelTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReplicaStoreTests", dependencies: ["ReplicaStore", "SatchelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HubStoreTests",
            dependencies: [
                "HubStore", "HubPostgres", "HubEngine", "ReplicaStore", "SatchelModel", "SatchelTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: ["SatchelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SatchelBenchTests", dependencies: ["SatchelBench", "SatchelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SyncServerTests",
            dependencies: [
                "SyncServer", "SyncClient", "HubPostgres", "SatchelTestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings),
    ]
)
