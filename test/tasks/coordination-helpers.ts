import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "../../src/store/migrations.js";
import { openDatabase, type Db } from "../../src/store/sqlite.js";
import { STATE_MIGRATIONS } from "../../src/store/state-migrations.js";

/** A real state.db in a temp dir that tests can close and open again (a gateway restart). */
export class StateFile {
  readonly dir = mkdtempSync(join(tmpdir(), "los-coord-"));
  readonly path = join(this.dir, "state.db");
  #open: Db[] = [];

  open(): Db {
    const db = openDatabase(this.path, { synchronous: "FULL" });
    migrate(db, STATE_MIGRATIONS, "state.db");
    this.#open.push(db);
    return db;
  }

  cleanup(): void {
    for (const db of this.#open) if (db.open) db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
