import HubEngine
import HubStore
import PostgresNIO
import SatchelModel
import SyncCore

extension PostgresHubView {
    /// Writes one operation's writes in this transaction, in the order ``HubWrites`` gives.
    func apply(_ writes: HubWrites) throws {
        for (replica, position) in writes.pulled {
            try execute(
                """
                UPDATE hub_device SET pulled_to = GREATEST(pulled_to, \(position)), dormant = false
                WHERE replica_id = \(replica.rawValue)
                """)
            if let at = writes.pulledAt {
                try execute("UPDATE hub_device SET pulled_at = GREATEST(COALESCE(pulled_at, 0), \(at)) WHERE replica_id = \(replica.rawValue)")
            }
        }
        for (replica, position) in writes.sent {
            try execute("UPDATE hub_device SET sent_to = GREATEST(sent_to, \(position)) WHERE replica_id = \(replica.rawValue)")
        }
        try apply(writes.plan)
        for write in writes.directory { try apply(write) }
        if let purge = writes.purge {
            try execute("DELETE FROM hub_row WHERE deleted AND seq <= \(purge.through)")
            try execute("UPDATE hub_meta SET compacted_to = GREATEST(compacted_to, \(purge.compactedTo)) WHERE singleton = 1")
        }
        if let day = writes.activity {
            try execute(
                """
                INSERT INTO hub_activity (day, pushes, applied, merged, queued, rejected)
                VALUES (\(day.day), \(day.pushes), \(day.applied), \(day.merged), \(day.queued), \(day.rejected))
                ON CONFLICT (day) DO UPDATE SET pushes = hub_activity.pushes + excluded.pushes,
                    applied = hub_activity.applied + excluded.applied, merged = hub_activity.merged + excluded.merged,
                    queued = hub_activity.queued + excluded.queued, rejected = hub_activity.rejected + excluded.rejected
                """)
        }
        if let version = writes.schemaVersion {
            try execute("UPDATE hub_meta SET schema_version = GREATEST(schema_version, \(version)) WHERE singleton = 1")
        }
        for published in writes.schemaSteps {
            let step = try WireJSON.text(published.step)
            try execute(
                """
                INSERT INTO hub_schema (revision, step, at, by_user, feed_position)
                VALUES (\(published.revision), \(step), \(published.at), \(published.by), \(published.feedPosition))
                """)
        }
        for entry in writes.audit {
            try execute(
                """
                INSERT INTO hub_audit (at, actor, device, action, target, detail)
                VALUES (\(entry.at), \(entry.actor.user), \(entry.actor.device), \(entry.action), \(entry.target), \(entry.detail))
                """)
        }
    }

    private func apply(_ write: DirectoryWrite) throws {
        switch write {
        case .addUser(let user, let hash, let expiresAt, let at):
            try execute(
                """
                INSERT INTO hub_user (name, role, territories, manager, enrollment_hash, enrollment_expires_at, created_at)
                VALUES (\(user.name), \(user.role.rawValue), \(try WireJSON.text(user.territories)), \(user.manager), \(hash),
                    \(expiresAt), \(at))
                """)
        case .setEnrollment(let user, let hash, let expiresAt):
            try execute("UPDATE hub_user SET enrollment_hash = \(hash), enrollment_expires_at = \(expiresAt) WHERE name = \(user)")
        case .disableUser(let name, let at):
            try execute(
                "UPDATE hub_user SET disabled_at = COALESCE(disabled_at, \(at)), enrollment_hash = NULL WHERE name = \(name)")
        case .addDevice(let replica, let user, let device, let hash, let at):
            try execute(
                """
                INSERT INTO hub_device (replica_id, user_name, device, credential_hash, created_at)
                VALUES (\(replica.rawValue), \(user), \(device), \(hash), \(at))
                """)
        case .offerCredential(let replica, let hash):
            try execute("UPDATE hub_device SET next_credential_hash = \(hash) WHERE replica_id = \(replica.rawValue)")
        case .adoptCredential(let replica, let hash):
            try execute(
                """
                UPDATE hub_device SET credential_hash = next_credential_hash, next_credential_hash = NULL
                WHERE replica_id = \(replica.rawValue) AND next_credential_hash = \(hash)
                """)
        case .revokeDevice(let replica, let by, let at):
            try execute(
                """
                UPDATE hub_device SET revoked_at = COALESCE(revoked_at, \(at)), revoked_by = COALESCE(revoked_by, \(by))
                WHERE replica_id = \(replica.rawValue)
                """)
        case .retireDevice(let replica):
            try execute("UPDATE hub_device SET dormant = true WHERE replica_id = \(replica.rawValue)")
        case .setPassword(let user, let hash):
            try execute("UPDATE hub_user SET password_hash = \(hash) WHERE name = \(user)")
        case .openSession(let session):
            try execute(
                """
                INSERT INTO hub_session (id_hash, user_name, csrf, created_at, expires_at)
                VALUES (\(session.idHash), \(session.user), \(session.csrf), \(session.createdAt), \(session.expiresAt))
                """)
        case .closeSession(let idHash):
            try execute("DELETE FROM hub_session WHERE id_hash = \(idHash)")
        case .closeSessions(let user):
            try execute("DELETE FROM hub_session WHERE user_name = \(user)")
        case .dropSessions(let before):
            try execute("DELETE FROM hub_session WHERE expires_at < \(before)")
        }
    }

    /// Writes a plan.
    private func apply(_ plan: HubPlan) throws {
        for write in plan.rows {
            let state = write.state
            try execute(
                """
                INSERT INTO hub_row (entity, row_id, seq, deleted, account_id, state)
                VALUES (\(state.entity), \(state.id), \(write.seq), \(state.isDeleted), \(write.root), \(RowJSON.rowState(state)))
                ON CONFLICT (entity, row_id) DO UPDATE SET
                    seq = excluded.seq, deleted = excluded.deleted, account_id = excluded.account_id, state = excluded.state
                """)
            if let location = write.location {
                try execute(
                    """
                    INSERT INTO hub_account (account_id, territory, owner) VALUES (\(state.id), \(location.territory), \(location.owner))
                    ON CONFLICT (account_id) DO UPDATE SET territory = excluded.territory, owner = excluded.owner
                        WHERE hub_account.territory IS DISTINCT FROM excluded.territory
                            OR hub_account.owner IS DISTINCT FROM excluded.owner
                    """)
            }
            if write.refile {
                try execute("DELETE FROM hub_key WHERE entity = \(state.entity) AND row_id = \(state.id)")
                for key in write.keys {
                    try execute(
                        """
                        INSERT INTO hub_key (entity, key_name, key_value, row_id)
                        VALUES (\(state.entity), \(key.name), \(key.value), \(state.id)) ON CONFLICT DO NOTHING
                        """)
                }
            }
        }
        for write in plan.outcomes {
            let outcome = try WireJSON.text(write.outcome)
            try execute(
                """
                INSERT INTO hub_outcome (replica_id, counter, outcome, seq)
                VALUES (\(write.replica.rawValue), \(Int64(write.counter)), \(outcome), \(write.visibleAt))
                ON CONFLICT (replica_id, counter) DO UPDATE SET outcome = excluded.outcome, seq = excluded.seq
                """)
        }
        for write in plan.conflicts {
            let conflict = write.conflict
            try execute(
                """
                INSERT INTO hub_conflict (id, entity, row_id, kind, status, body, created_at)
                VALUES (\(conflict.id), \(conflict.entity), \(conflict.rowID), \(conflict.kind.rawValue), 'open',
                    \(try WireJSON.text(conflict)), \(write.createdAt))
                ON CONFLICT (id) DO NOTHING
                """)
        }
        for settled in plan.settlements {
            try execute(
                """
                UPDATE hub_conflict SET status = 'resolved', resolution = \(try WireJSON.text(settled.choice)),
                    resolved_by = \(settled.by), resolved_at = \(settled.at)
                WHERE id = \(settled.id)
                """)
        }
        for resend in plan.resends {
            if let root = resend.root {
                try execute(
                    "UPDATE hub_row SET seq = \(resend.seq), account_id = \(root) WHERE entity = \(resend.entity) AND row_id = \(resend.id)")
            } else {
                try execute("UPDATE hub_row SET seq = \(resend.seq) WHERE entity = \(resend.entity) AND row_id = \(resend.id)")
            }
        }
        for write in plan.redirects {
            let redirection = write.redirection
            try execute(
                """
                INSERT INTO hub_redirect (entity, from_id, to_id, merged_at, merged_by, seq)
                VALUES (\(redirection.entity), \(redirection.from), \(redirection.to), \(redirection.mergedAt),
                    \(redirection.mergedBy), \(write.seq))
                ON CONFLICT (entity, from_id) DO UPDATE SET
                    to_id = excluded.to_id, merged_at = excluded.merged_at, merged_by = excluded.merged_by, seq = excluded.seq
                """)
        }
        for departure in plan.departures {
            try execute(
                """
                INSERT INTO hub_account_former (account_id, territory, owner, until, seq, new_owner, moved_by)
                VALUES (\(departure.root), \(departure.from.territory), \(departure.from.owner), \(departure.until),
                    \(departure.seq), \(departure.newOwner), \(departure.movedBy))
                """)
        }
        for write in plan.history {
            try execute(
                "INSERT INTO hub_history (entity, row_id, entry) VALUES (\(write.entity), \(write.id), \(RowJSON.historyEntry(write.entry)))")
        }
        for mark in plan.replicaMarks {
            try execute(
                """
                INSERT INTO hub_replica (replica_id, high_water, user_name, device, last_push_at)
                VALUES (\(mark.replica.rawValue), \(Int64(mark.highWater)), \(mark.user), \(mark.device), \(mark.at))
                ON CONFLICT (replica_id) DO UPDATE SET
                    high_water = excluded.high_water, user_name = excluded.user_name, device = excluded.device,
                    last_push_at = excluded.last_push_at
                """)
        }
        if let meta = plan.meta {
            try execute(
                "UPDATE hub_meta SET seq = \(meta.seq), hlc = \(meta.hlc.packed), counter = \(Int64(meta.counter)) WHERE singleton = 1")
        }
    }
}
