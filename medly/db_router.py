"""Which database a query goes to: the primary, unless a caught-up replica was chosen for a read-only page.

See `medly.replicas` for when a scope chooses the replica.
"""

from medly import replicas


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return replicas.REPLICA if replicas.use_replica_now() else replicas.PRIMARY

    def db_for_write(self, model, **hints):
        replicas.note_write()
        return replicas.PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows: an object read from the replica may point at one from the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica gets its schema through replication.
        return db == replicas.PRIMARY
