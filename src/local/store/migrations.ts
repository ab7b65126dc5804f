/**
 * The state database's schema, as the migrations that build it, in order. A migration, once
 * released, never changes: a database opened by an earlier version runs only the ones after it.
 */
import type Database from 'better-sqlite3'

const MIGRATIONS = [
  `create table rollouts (name text primary key, spec text not null, templates text not null, revision integer not null,
     status text not null, created_at integer not null, updated_at integer not null);
   create table revisions (name text not null, revision integer not null, template text not null, hash text not null,
     created_at integer not null, primary key (name, revision));
   create table events (id integer primary key autoincrement, name text not null, at integer not null, type text not null,
     reason text not null, message text not null, data text);
   create index events_by_name on events (name, id);
   create table replicas (id text primary key, record text not null);
   create table meta (key text primary key, value text not null);`,
  // Events are stored whole, as the engine's typed events; the free-form rows of the first schema
  // are kept in events_v1.
  `alter table events rename to events_v1;
   create table events (id integer primary key autoincrement, name text not null, at integer not null,
     reason text not null, event text not null);
   create index events_by_rollout on events (name, id);`,
  // Manual gates (`kanari gate open NAME`): a gate not in the table is closed.
  `create table gates (name text primary key, open integer not null, updated_at integer not null);`,
  // Notifications waiting to be sent, so a daemon killed before sending them sends them when it
  // starts again.
  `create table outbox (id integer primary key autoincrement, name text not null, notice text not null,
     created_at integer not null);
   create index outbox_by_rollout on outbox (name, id);`,
  // Evidence reports of releases (one per rollout and revision, the latest) and what an advisor said.
  `create table diagnoses (name text not null, revision integer not null, created_at integer not null,
     report text not null, advisor text, primary key (name, revision));`,
]

/** Runs the migrations `db` has not had yet, each in its own transaction. */
export function migrate(db: Database.Database): void {
  db.exec(
    'create table if not exists migrations (version integer primary key, applied_at integer not null)',
  )
  const done =
    (db.prepare('select max(version) v from migrations').get() as { v: number | null }).v ?? 0
  MIGRATIONS.forEach((sql, i) => {
    if (i + 1 <= done) return
    db.transaction(() => {
      db.exec(sql)
      db.prepare('insert into migrations (version, applied_at) values (?, ?)').run(
        i + 1,
        Date.now(),
      )
    })()
  })
}
