# curve.gp — the gain curve: what running N agents together gains as N grows, one line
# per variant (and server layout), two panels side by side. tandem-report writes, into
# the report directory it runs gnuplot in:
#   fig_gain_curve.dat  one block per line: a title line, then per N
#       "N eff eff_lo eff_hi tps tps_lo tps_hi ttft_p50 ttft_p99 slow slow_lo slow_hi"
#       (efficiency with its bootstrap CI, tokens/s and slowdown with Student t CIs)
# Variables (gnuplot -e): dir, out, dat (the data file), nvar (lines), kind (1: efficiency
# and aggregate tokens/s; 2: TTFT p50/p99 and per-agent slowdown), xt (the x tics, e.g.
# "(1,2,4,8)"), xlo, xhi (the x range), yhi (efficiency's upper bound), ttl.
# x is log2: each step along it doubles N. The references (100 % = perfect parallelism;
# 100/N % = no gain; slowdown 1 = none, N = a fully shared device) are named in the key.
load dir.'common.gp'
set logscale x 2
set xrange [xlo:xhi]
eval('set xtics '.xt)
set xlabel "agents N (log2 scale)"
set key outside top center horizontal box opaque samplen 3 spacing 1.1 width 1 maxrows 4
do for [t=1:2] {
    if (t == 1) {
        set terminal svg size 1400,680 noenhanced font "sans,12" background rgb "white"
        set output out.'.svg'
    } else {
        set terminal pngcairo size 1400,680 noenhanced font "sans,11" background rgb "white"
        set output out.'.png'
    }
    set multiplot layout 1,2 title ttl font ",14"
    if (kind == 1) {
        set ylabel "efficiency (%; mean, 95% bootstrap CI)"
        set yrange [0:yhi]
        set title "Efficiency against N"
        plot for [i=0:nvar-1] dat index i using 1:2:3:4 with yerrorlines ls ls_of(i) title columnheader(1), \
             100 with lines dt 2 lw 1.5 lc rgb ref_grey title "100% = perfect parallelism", \
             100.0/x with lines dt 3 lw 2 lc rgb ref_grey title "100/N % = no gain"
        set ylabel "output tokens/s, concurrent (mean, 95% CI)"
        set yrange [0:*]
        set title "Aggregate tokens/s against N"
        plot for [i=0:nvar-1] dat index i using 1:5:6:7 with yerrorlines ls ls_of(i) title columnheader(1)
    } else {
        set ylabel "TTFT, concurrent (ms; solid p50, dotted p99)"
        set yrange [0:*]
        set title "Time to first token against N"
        plot for [i=0:nvar-1] dat index i using 1:8 with linespoints ls ls_of(i) title columnheader(1), \
             for [i=0:nvar-1] dat index i using 1:9 with linespoints ls ls_of(i) dt 3 notitle
        set ylabel "slowdown T_conc_i / T_seq_i (mean, 95% CI)"
        set yrange [0:*]
        set title "Per-agent slowdown against N"
        plot for [i=0:nvar-1] dat index i using 1:10:11:12 with yerrorlines ls ls_of(i) title columnheader(1), \
             1 with lines dt 2 lw 1.5 lc rgb ref_grey title "1 = no slowdown", \
             x with lines dt 3 lw 2 lc rgb ref_grey title "N = one fully shared device"
    }
    unset multiplot
}
set output
