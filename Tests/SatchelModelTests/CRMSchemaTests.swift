import Foundation
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

struct CRMSchemaTests {
    @Test func everyFieldHasAReasonAndEveryReferenceAnEntity() {
        for entity in CRMSchema.schema.entities {
            for field in entity.fields {
                #expect(!field.reason.isEmpty, "\(entity.name).\(field.name) needs a reason")
                if case let .reference(target) = field.type {
                    #expect(CRMSchema.schema.entity(target) != nil, "\(entity.name).\(field.name) → \(target)")
                }
            }
            if let parent = entity.parentField {
                #expect(entity.field(parent).map { if case .reference = $0.type { true } else { false } } == true)
            }
            if let title = entity.titleField {
                #expect(entity.field(title) != nil)
            }
            for propagation in entity.propagations {
                #expect(propagation.problems(in: CRMSchema.schema, entity: entity).isEmpty, "\(entity.name): \(propagation)")
            }
            for machine in entity.stateMachines {
                #expect(entity.field(machine.field)?.type == .enumeration(machine.states))
                for (from, targets) in machine.transitions {
                    #expect(machine.states.contains(from))
                    #expect(targets.isSubset(of: Set(machine.states)))
                }
            }
        }
    }

    @Test func theModelUsesEveryRuleOfTheDesign() {
        let fieldRules = Set(CRMSchema.schema.entities.flatMap { entity in
            entity.insertRule == .appendOnly ? [] : entity.fields.map(\.rule)
        })
        #expect(fieldRules == Set(FieldRule.allCases))
        let entities = CRMSchema.schema.entities
        #expect(entities.contains { $0.insertRule == .appendOnly })
        #expect(entities.contains { $0.deleteRule == .editWinsAndQueue })
        #expect(entities.contains { $0.deleteRule == .deleteWins })
        #expect(entities.contains { $0.duplicates != nil })
        #expect(entities.contains { !$0.invariants.isEmpty })
    }

    @Test func opportunityStagesAreGuarded() {
        let stages = CRMSchema.opportunityStages
        #expect(stages.allows(from: "prospecting", to: "negotiation"))
        #expect(stages.allows(from: "contract", to: "closed_won"))
        #expect(!stages.allows(from: "closed_won", to: "prospecting"))
        #expect(!stages.allows(from: "closed_lost", to: "contract"))
        #expect(stages.requirements["closed_lost"] == ["close_reason", "lost_reason"])
    }

    @Test func orderApprovalBelongsToTheServer() {
        let orders = CRMSchema.orderStatuses
        #expect(orders.privilegedTargets.contains("approved"))
        #expect(!orders.allows(from: "draft", to: "approved"))
        #expect(orders.allows(from: "submitted", to: "approved"))
    }

    @Test func conflictRulesDocumentListsEveryFieldWithItsRule() throws {
        let path = Fixtures.packageRoot.appendingPathComponent("Docs/conflict-rules.md")
        let document = try String(contentsOf: path, encoding: .utf8)
        let begin = "<!-- rules:begin -->\n"
        let end = "<!-- rules:end -->"
        let start = try #require(document.range(of: begin), "Docs/conflict-rules.md needs the rules markers")
        let stop = try #require(document.range(of: end, range: start.upperBound..<document.endIndex))
        let generated = CRMSchema.rulesMarkdown()
        if Fixtures.isRecording {
            let updated = document.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: generated + "\n")
            try updated.write(to: path, atomically: true, encoding: .utf8)
            Issue.record("recorded the rule table in Docs/conflict-rules.md; run again without RECORD_FIXTURES")
            return
        }
        #expect(
            String(document[start.upperBound..<stop.lowerBound]) == generated + "\n",
            "Docs/conflict-rules.md is out of date: run RECORD_FIXTURES=1 swift test --filter CRMSchemaTests")
    }
}
