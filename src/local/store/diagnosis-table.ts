/** The `diagnoses` table: the latest evidence report of each rollout revision, and what an advisor said. */
import type { AdvisorRecord } from '../../diagnosis/advice.js'
import type { DiagnosisReport } from '../../diagnosis/report.js'
import type { StateDb } from './state-db.js'

export interface StoredReport {
  revision: number
  /** Epoch ms, as given to `put`. */
  createdAt: number
  report: DiagnosisReport
  /** What an advisor said of the report; null before one was asked. */
  advisor: AdvisorRecord | null
}

interface DiagnosisRow {
  revision: number
  created_at: number
  report: string
  advisor: string | null
}

export class DiagnosisTable {
  constructor(private readonly state: StateDb) {}

  /** Stores a revision's report, replacing an earlier one and what was said of it. */
  put(name: string, revision: number, report: DiagnosisReport, createdAt: number): void {
    this.state.write(() =>
      this.state.db
        .prepare(
          'insert or replace into diagnoses (name, revision, created_at, report, advisor) values (?, ?, ?, ?, null)',
        )
        .run(name, revision, createdAt, JSON.stringify(report)),
    )
  }

  /** Stores what an advisor said of a stored report; false when there is no such report. */
  setAdvisor(name: string, revision: number, advisor: AdvisorRecord): boolean {
    return this.state.write(
      () =>
        this.state.db
          .prepare('update diagnoses set advisor = ? where name = ? and revision = ?')
          .run(JSON.stringify(advisor), name, revision).changes > 0,
    )
  }

  /** The stored report of `revision`, or the latest one. */
  get(name: string, revision?: number): StoredReport | undefined {
    const { db } = this.state
    const row = (
      revision === undefined
        ? db
            .prepare(
              'select * from diagnoses where name = ? order by created_at desc, revision desc limit 1',
            )
            .get(name)
        : db.prepare('select * from diagnoses where name = ? and revision = ?').get(name, revision)
    ) as DiagnosisRow | undefined
    if (row === undefined) return undefined
    return {
      revision: row.revision,
      createdAt: row.created_at,
      report: JSON.parse(row.report) as DiagnosisReport,
      advisor: row.advisor === null ? null : (JSON.parse(row.advisor) as AdvisorRecord),
    }
  }

  /** Revisions of `name` with a stored report, newest first. */
  revisions(name: string): number[] {
    return (
      this.state.db
        .prepare(
          'select revision from diagnoses where name = ? order by created_at desc, revision desc',
        )
        .all(name) as { revision: number }[]
    ).map((r) => r.revision)
  }

  /** Call within a write. */
  deleteOf(name: string): void {
    this.state.db.prepare('delete from diagnoses where name = ?').run(name)
  }
}
