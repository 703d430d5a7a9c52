/* SPDX-License-Identifier: Apache-2.0 */
/* bench_slowloris: GET /healthz latency of a local `warren serve` (replay
 * source, [http] timeout = 5s, default limits) with no attack, then while
 * 1100 sockets from one client address (127.0.0.2) send their headers a
 * byte every 200 ms and never finish them (the attack that took the API
 * down before the per-client cap and the whole-request deadline). Probes
 * come from 127.0.0.1 every 50 ms for 10 s. Prints answered probes and
 * p50 / p99 / max latency; figures, never assertions.
 */
#pragma GCC diagnostic ignored "-Wunused-function" /* header-only helpers */
#include "tests/integration/slowloris.h"
#include "tests/integration/warren_proc.h"

static void row(const char *name, const sl_result_t *r) {
    printf("%-26s %6d/%-6d %9.2f %9.2f %9.2f %8d/%d\n", name, r->probes_ok,
           r->probes, sl_pct(r->lat_ms, r->probes_ok, 50),
           sl_pct(r->lat_ms, r->probes_ok, 99),
           r->probes_ok ? r->lat_ms[r->probes_ok - 1] : 0.0, r->ended,
           r->attackers);
}

int main(void) {
    char dir[256], ini[300];
    wp_tmpdir(dir, sizeof(dir));
    snprintf(ini, sizeof(ini), "%s.ini", dir);
    FILE *f = fopen(ini, "w");
    if (!f) return 1;
    fputs("[http]\ntimeout = 5s\n", f);
    fclose(f);
    wp_t w;
    char *args[] = {"--replay", "samples/stalled.jsonl", "--config", ini, NULL};
    if (wp_start(&w, dir, args) != 0) {
        fprintf(stderr, "bench_slowloris: warren did not start\n");
        return 1;
    }
    printf("%-26s %13s %9s %9s %9s %15s\n", "scenario", "answered", "p50 ms",
           "p99 ms", "max ms", "slow ended");
    sl_result_t r;
    sl_run(w.port, 0, 5000, 0, 200, 50, &r);
    row("no attack", &r);
    free(r.lat_ms);
    if (sl_run(w.port, 1100, 10000, 10000, 200, 50, &r) != 0) {
        fprintf(stderr, "bench_slowloris: cannot open 1100 sockets "
                        "(ulimit -n)\n");
        wp_stop(&w, NULL);
        return 1;
    }
    row("1100 slowloris sockets", &r);
    free(r.lat_ms);
    int rc = wp_stop(&w, NULL);
    unlink(ini);
    return rc == 0 ? 0 : 1;
}
