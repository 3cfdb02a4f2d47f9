/// Where records sit in a book of business, declared once so that storage and the server's
/// policy never name an entity or a field of their own.
///
/// Every record hangs, through its entity's parent reference (``EntitySchema/parentField``),
/// under one record of the ``root`` entity; the root's ``territoryField`` and ``ownerField``
/// decide who may see it and everything under it. A change to any of those fields moves a
/// record, so the server judges it by where the record is *and* where it would end up.
///
/// ```swift
/// Placement(root: "folder", territoryField: "region", ownerField: "keeper")
/// ```
public struct Placement: Hashable, Sendable {
    /// The entity at the top of every tree of records.
    public var root: String
    /// The root's field naming its territory (text).
    public var territoryField: String
    /// The root's field naming the user who owns it (text).
    public var ownerField: String

    public init(root: String, territoryField: String, ownerField: String) {
        self.root = root
        self.territoryField = territoryField
        self.ownerField = ownerField
    }

    /// The fields of the root that place it (territory and owner).
    public var rootFields: [String] { [territoryField, ownerField] }

    /// Where a root record with these values sits.
    public func location(of values: [String: FieldValue]) -> Location {
        Location(territory: values[territoryField]?.textValue, owner: values[ownerField]?.textValue)
    }

    /// A root record's territory and owner.
    public struct Location: Hashable, Sendable {
        public var territory: String?
        public var owner: String?

        public init(territory: String?, owner: String?) {
            self.territory = territory
            self.owner = owner
        }
    }
}

extension Schema {
    /// Whether `field` of `entity` places a record: its parent reference, or the root's
    /// territory and owner.
    public func placesRecord(entity: String, field: String) -> Bool {
        if self.entity(entity)?.parentField == field { return true }
        guard let placement, entity == placement.root else { return false }
        return placement.rootFields.contains(field)
    }
}
