# shellcheck shell=sh
# The enabled `deb` entries of this machine's apt sources, parsed once for
# scripts/build-sysroot.sh (POSIX sh) and scripts/images.sh (bash), which
# source this file. Nothing here writes anything; the mirror is read at run
# time, never written into the project.
#
#   apt_sources_deb [SOURCELIST SOURCEPARTS]
#
# prints one line per enabled `deb` entry (one per URI and suite of a deb822
# stanza), in apt's file order: SOURCELIST, SOURCEPARTS/*.list, then
# SOURCEPARTS/*.sources. Fields are separated by a tab:
#
#   deb  URI  SUITE  COMPONENTS  OPTIONS  ORIGIN
#
# COMPONENTS space-separated (empty for a flat repository's "suite/"),
# OPTIONS the entry's options in one-line syntax, space-separated, without
# brackets (`arch=amd64 signed-by=/usr/share/keyrings/x.gpg`; deb822 fields
# are spelt as their one-line options, lists comma-separated; a Signed-By
# carrying an inline key block becomes `signed-by=<inline>`), ORIGIN
# FILE:LINE of the entry or the stanza's first line. Comments, deb-src
# entries and disabled stanzas (`Enabled: no`, or apt's other false words:
# false, off, disable, without) are left out.
# Without arguments the files are the ones apt reads (apt-config:
# Dir::Etc::SourceList and Dir::Etc::SourceParts). Returns non-zero only when
# awk fails; no entries at all is an empty output.

# apt_sources_paths: set apt_sources_list and apt_sources_parts to the files
# apt reads.
apt_sources_paths() {
	apt_sources_list=/etc/apt/sources.list
	apt_sources_parts=/etc/apt/sources.list.d
	if command -v apt-config >/dev/null 2>&1; then
		apt_sources_list=$(apt-config shell X Dir::Etc::SourceList/f |
			sed "s/^X='\(.*\)'$/\1/")
		apt_sources_parts=$(apt-config shell X Dir::Etc::SourceParts/d |
			sed "s/^X='\(.*\)'$/\1/")
	fi
	apt_sources_parts=${apt_sources_parts%/}
}

# One-line format: "deb [opt=v opt2=v] URI SUITE [COMPONENT...]  # comment".
# shellcheck disable=SC2016 # awk program
APT_SOURCES_AWK_ONELINE='
{
	sub(/#.*/, "")
	if ($1 != "deb") next
	line = $0
	sub(/^[ \t]*deb[ \t]*/, "", line)
	opts = ""
	if (line ~ /^\[/) {
		if (line !~ /\]/) next
		opts = line
		sub(/\].*/, "", opts); sub(/^\[/, "", opts)
		sub(/^\[[^]]*\][ \t]*/, "", line)
		n = split(opts, o)
		opts = ""
		for (i = 1; i <= n; i++) opts = opts (i > 1 ? " " : "") o[i]
	}
	n = split(line, w)
	if (n < 2) next
	comps = ""
	for (i = 3; i <= n; i++) comps = comps (i > 3 ? " " : "") w[i]
	printf "deb\t%s\t%s\t%s\t%s\t%s:%d\n", w[1], w[2], comps, opts, origin, FNR
}'

# deb822 format (*.sources): stanzas of "Key: value" fields separated by
# blank lines; a line starting with white space continues the field above.
# shellcheck disable=SC2016 # awk program
APT_SOURCES_AWK_DEB822='
function words(s,   n, a, i, r) {
	n = split(s, a); r = ""
	for (i = 1; i <= n; i++) r = r (i > 1 ? " " : "") a[i]
	return r
}
function flush(   i, j, n, t, has, e, nu, u, ns, s, opts, k, name, op, v) {
	if (nf == 0) return
	n = split(val["types"], t)
	has = 0
	for (i = 1; i <= n; i++) if (t[i] == "deb") has = 1
	e = tolower(words(val["enabled"]))
	if (has && e != "no" && e != "false" && e != "off" && e != "disable" &&
	    e != "without") {
		opts = ""
		for (i = 1; i <= nf; i++) {
			k = key[i]
			if (k ~ /^(types|uris|suites|components|enabled)$/ || k ~ /^x-/)
				continue
			name = k; op = "="
			if (name ~ /^(architectures|languages|targets)-(add|remove)$/) {
				op = (name ~ /-add$/) ? "+=" : "-="
				sub(/-(add|remove)$/, "", name)
			}
			if (name == "architectures") name = "arch"
			else if (name == "languages") name = "lang"
			else if (name == "targets") name = "target"
			if (k == "signed-by" && cont[k]) v = "<inline>"
			else { v = words(val[k]); gsub(/ /, ",", v) }
			opts = opts (opts != "" ? " " : "") name op v
		}
		nu = split(val["uris"], u)
		ns = split(val["suites"], s)
		for (i = 1; i <= nu; i++)
			for (j = 1; j <= ns; j++)
				printf "deb\t%s\t%s\t%s\t%s\t%s:%d\n", u[i], s[j],
				    words(val["components"]), opts, origin, start
	}
	nf = 0; split("", val); split("", cont); split("", key)
}
/^[ \t]*#/ { next }
/^[ \t]*$/ { flush(); next }
/^[ \t]/ { if (nf) { val[key[nf]] = val[key[nf]] " " $0; cont[key[nf]] = 1 }; next }
/:/ {
	k = $0; sub(/:.*/, "", k); k = tolower(k)
	v = $0; sub(/^[^:]*:/, "", v)
	if (nf == 0) start = FNR
	nf++; key[nf] = k; val[k] = v
}
END { flush() }'

apt_sources_deb() {
	if [ $# -ge 2 ]; then
		apt_sources_list=$1
		apt_sources_parts=${2%/}
	else
		apt_sources_paths
	fi
	for _as_f in "$apt_sources_list" "$apt_sources_parts"/*.list; do
		if [ -f "$_as_f" ] && [ -r "$_as_f" ]; then
			awk -v origin="$_as_f" "$APT_SOURCES_AWK_ONELINE" "$_as_f" ||
				return 1
		fi
	done
	for _as_f in "$apt_sources_parts"/*.sources; do
		if [ -f "$_as_f" ] && [ -r "$_as_f" ]; then
			awk -v origin="$_as_f" "$APT_SOURCES_AWK_DEB822" "$_as_f" ||
				return 1
		fi
	done
}
