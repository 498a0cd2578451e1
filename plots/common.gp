# common.gp — settings shared by every tandem figure: a white background, readable
# fonts, no enhanced-text parsing (names such as smol_1kb must print as written), the
# two outputs, and one palette. `out` is the file name without suffix.
#
# The palette is Okabe and Ito's (2008), chosen to stay distinct under the common forms
# of colour blindness; its yellow, too pale on white paper, is left out. Each style also
# has its own point shape and dash pattern, so a figure printed in grey or read by
# someone who cannot tell the colours apart still separates the variants.
set termoption noenhanced
set termoption dashed
set encoding utf8
set border lw 1.2
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set key outside top center horizontal box opaque samplen 3 spacing 1.1 width 1
set tics nomirror
set style line 1 lc rgb "#0072B2" pt 7  ps 0.8 lw 2 dt 1
set style line 2 lc rgb "#D55E00" pt 5  ps 0.8 lw 2 dt 2
set style line 3 lc rgb "#009E73" pt 9  ps 0.9 lw 2 dt 4
set style line 4 lc rgb "#CC79A7" pt 11 ps 0.9 lw 2 dt 5
set style line 5 lc rgb "#E69F00" pt 13 ps 0.9 lw 2 dt (12,4,2,4,2,4)
set style line 6 lc rgb "#56B4E9" pt 3  ps 0.9 lw 2 dt (2,3)
set style line 7 lc rgb "#000000" pt 1  ps 0.9 lw 2 dt (16,6)
set style line 8 lc rgb "#7F7F7F" pt 2  ps 0.9 lw 2 dt (8,3,2,3)
set style increment user
# style of variant i (0-based), cycling through the eight above
ls_of(i) = (int(i) % 8) + 1
# the reference lines (perfect, no gain, ideal): grey, apart from every variant's style
ref_grey = "#555555"
# the two phases of a run, where a figure shades them
seq_colour = "#0072B2"
conc_colour = "#D55E00"
