// A fresh PostgreSQL database for one measurement: dropped (its sessions ended) and created again.

/**
 * Drops and creates `name` on the server `base` (a URL without a database) with the `pg` module
 * given (each benchmark resolves its own), and returns its URL. Only benchmark databases
 * (`aob_bench_*`) are ever dropped.
 */
export async function freshDatabase(pg, base, name) {
  if (!/^aob_bench_[a-z_]+$/.test(name)) throw new Error(`not a benchmark database: ${name}`);
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return `${base}/${name}`;
}
