# workflows.gp — makespan against critical path: how close each workflow run came to what
# its dependencies allow, one point per run, colour and shape by variant. tandem-report
# writes, into the report directory it runs gnuplot in:
#   fig_workflows.dat         one block per variant: a title line, then per run
#       "critical_path_s makespan_s" (the core's numbers, as summary.json's workflow)
#   fig_workflows_labels.dat  per workflow "x y "name"": its runs' mean critical path and
#       lowest makespan, where its name is written, just right of and below its runs
# Variables (gnuplot -e): dir, out, dat, lab (the data files), nvar (blocks), hi (the upper
# bound of both axes), ttl.
# Both axes run from 0 to hi on one scale, so the dashed y = x (every step ran as soon as
# its inputs existed, no slower than alone) is the diagonal, named in the key, and a
# point's height above it is the time lost; the dotted y = 2x marks half the ideal (a
# workflow efficiency of 50 %). Below the diagonal stays all but empty (a
# makespan shorter than the critical path needs steps faster together than alone), so the
# key and the workflows' names go there. Open point shapes, so runs that land on one
# another stay visible.
load dir.'common.gp'
# the open twin of each style's point type in common.gp (7 -> 6, 5 -> 4, ...)
pt_open(i) = word("6 4 8 10 12 3 1 2", (int(i) % 8) + 1) + 0
set key inside bottom right vertical box opaque samplen 3 spacing 1.1 width 1
set size square
set xrange [0:hi]
set yrange [0:hi]
set grid xtics ytics lc rgb "#dddddd" lw 1 dt 1
set xlabel "critical path (s): the longest chain of dependent steps, each at its time alone"
set ylabel "makespan (s): concurrent phase, release to the last step done"
do for [t=1:2] {
    if (t == 1) {
        set terminal svg size 900,860 noenhanced font "sans,12" background rgb "white"
        set output out.'.svg'
    } else {
        set terminal pngcairo size 900,860 noenhanced font "sans,11" background rgb "white"
        set output out.'.png'
    }
    set title ttl font ",14"
    plot x with lines dt 2 lw 1.5 lc rgb ref_grey title "makespan = critical path (no time lost)", \
         2 * x with lines dt 3 lw 1.5 lc rgb ref_grey title "makespan = 2 x critical path (half the ideal)", \
         for [i=0:nvar-1] dat index i using 1:2 with points ls ls_of(i) pt pt_open(i) ps 1.8 lw 1.5 \
             title columnheader(1), \
         lab using 1:2:3 with labels left offset 1.2,-0.9 tc rgb ref_grey notitle
}
set output
