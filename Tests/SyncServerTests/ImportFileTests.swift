import Foundation
import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SyncCore
@testable import SyncServer
import Testing

struct ImportFileTests {
    @Test func readsCSVWithEveryKindOfCell() throws {
        let csv = """
            record,id,name,type,city,phone,tags,mass_mail_opt_out,visit_interval_days,account_id,decision_maker
            account,acc-1,"Acme, Ltd",business,Lille,+33 3 20 00 00 00,key;north,true,30,,
            contact,con-1,Jeanne Martin,,,,,,,acc-1,yes
            """
        let records = try ImportFile.readCSV(csv, schema: CRMSchema.schema)
        #expect(records.map(\.entity) == ["account", "contact"])
        #expect(records[0].values["name"] == .text("Acme, Ltd"))
        #expect(records[0].values["type"] == .text("business"))
        #expect(records[0].values["tags"] == .stringSet(["key", "north"]))
        #expect(records[0].values["mass_mail_opt_out"] == .bool(true))
        #expect(records[0].values["visit_interval_days"] == .integer(30))
        #expect(records[1].values["decision_maker"] == .bool(true))
        #expect(records[1].values["account_id"] == .text("acc-1"))
    }

    @Test(arguments: [
        ("record,id,name\nspaceship,s1,Enterprise", "line 2: record must be account, contact, visit or opportunity"),
        ("record,id,name,colour\naccount,a1,Acme,red", "line 2: account has no field 'colour'"),
        ("record,id,name,visit_interval_days\naccount,a1,Acme,often", "line 2: visit_interval_days 'often' is not a whole number"),
        ("record,id,name,value_tier\naccount,a1,Acme,key\naccount,a2,Bolt,gold", "line 3: account.value_tier must be one of"),
        ("record,id,city\naccount,a1,Lyon", "line 2: account.name is required"),
        ("name,city\nAcme,Lyon", "line 1: the header must start with record,id"),
        ("record,id,name\naccount,a1", "line 2: 2 cells, but the header has 3"),
    ])
    func reportsTheLineAndTheProblem(_ csv: String, _ expected: String) {
        #expect {
            try ImportFile.readCSV(csv, schema: CRMSchema.schema)
        } throws: { error in
            (error as? ImportError)?.description.hasPrefix(expected) ?? false
        }
    }

    @Test func readsJSONLines() throws {
        let jsonl = """
            {"record":"account","id":"acc-1","name":"Acme Ltd","city":"Lille","tags":["key"]}

            {"record":"contact","id":"con-1","account_id":"acc-1","name":"Jeanne Martin","decision_maker":true}
            """
        let records = try ImportFile.readJSONLines(jsonl, schema: CRMSchema.schema)
        #expect(records.count == 2)
        #expect(records[1].origin == "line 3")
        #expect(throws: ImportError.self) { try ImportFile.readJSONLines("{\"type\":\"account\",", schema: CRMSchema.schema) }
    }

    @Test func anImportIsAllOrNothing() throws {
        let hub = try Hub.inMemory(schema: CRMSchema.schema)
        let good = Hub.ImportRecord(entity: "account", id: "a1", values: ["name": .text("Acme")], origin: "line 2")
        let orphan = Hub.ImportRecord(
            entity: "contact", id: "c1", values: ["name": .text("Jo"), "account_id": .text("missing")], origin: "line 3")
        #expect {
            try hub.importRecords([good, orphan])
        } throws: { error in
            "\(error)".contains("line 3") && "\(error)".contains("does not exist")
        }
        #expect(try hub.liveRows("account").isEmpty)
        #expect(try hub.importRecords([good]).imported == 1)
        #expect(try hub.liveRows("account").map(\.id) == ["a1"])
        #expect {
            try hub.importRecords([good])
        } throws: { error in
            "\(error)".contains("line 2") && "\(error)".contains("already exists")
        }
    }
}
