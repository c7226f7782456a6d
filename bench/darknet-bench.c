/* Darknet peer of bench/cpu.sh: Debian's libdarknet (pjreddie's, OpenMP + BLAS), one network at
 * the benchmark size, batch-1 latency and batch-N throughput; prints one JSON line.
 * Build: cc -O2 bench/darknet-bench.c -I/usr/lib/darknet/include -L/usr/lib/darknet
 *        -Wl,-rpath,/usr/lib/darknet -ldarknet -o darknet-bench
 * Usage: darknet-bench CFG1 CFG_N WEIGHTS SIZE RUNS WARMUP BATCH BATCH_RUNS
 *   CFG1 and CFG_N: the model's cfg with [net] width=height=SIZE and batch=1 / batch=BATCH
 *   (Darknet's resize_network cannot resize every layer type, e.g. dropout). */
#include <darknet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: darknet-bench CFG1 CFG_N WEIGHTS SIZE RUNS WARMUP BATCH BATCH_RUNS\n");
        return 2;
    }
    int size = atoi(argv[4]), runs = atoi(argv[5]), warmup = atoi(argv[6]), batch = atoi(argv[7]), batch_runs = atoi(argv[8]);
    double t0 = what_time_is_it_now();
    network *net = load_network(argv[1], argv[3], 0);
    double build_ms = (what_time_is_it_now() - t0) * 1e3;
    size_t n = (size_t)3 * size * size;
    float *x = malloc(sizeof(float) * n * (size_t)(batch > 1 ? batch : 1));
    for (size_t i = 0; i < n * (size_t)(batch > 1 ? batch : 1); i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
    for (int i = 0; i < warmup; i++) network_predict(net, x);
    double *t = malloc(sizeof(double) * (size_t)runs);
    for (int i = 0; i < runs; i++) {
        double s = what_time_is_it_now();
        network_predict(net, x);
        t[i] = (what_time_is_it_now() - s) * 1e3;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp);
    double mean = 0;
    for (int i = 0; i < runs; i++) mean += t[i] / runs;
    double tput = 0;
    if (batch > 1 && batch_runs > 0) {
        free_network(net);
        net = load_network(argv[2], argv[3], 0);
        double s = what_time_is_it_now();
        for (int i = 0; i < batch_runs; i++) network_predict(net, x);
        tput = batch * batch_runs / (what_time_is_it_now() - s);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"engine\": \"darknet (Debian libdarknet) fp32\", \"latency_ms\": {\"median\": %.4f, \"p90\": %.4f, \"min\": %.4f, "
           "\"mean\": %.4f}, \"batch\": %d, \"throughput_ips\": %.4f, \"peak_rss_kib\": %ld, \"build_ms\": %.1f, \"runs\": %d}\n",
           t[runs / 2], t[(int)(0.9 * (runs - 1) + 0.5)], t[0], mean, batch, tput, ru.ru_maxrss, build_ms, runs);
    return 0;
}
