/* gen: `trailwarden gen`, the synthetic CloudTrail generator (bench/gen_*.c).
 *
 * It writes a realistic estate's trail (AI agents, pipelines, CI, people, monitors) with
 * injected scenarios and near-misses, deterministically for a given seed. The app's main
 * dispatches `trailwarden gen ...` here; the bench harnesses and end-to-end tests use it. */
#ifndef TW_GEN_H
#define TW_GEN_H

/* argv[0] is "gen". Returns the process exit status: 0 done, 1 I/O error, 2 usage error. */
int tw_gen_main(int argc, char **argv);

#endif
