package devtoolredactprocessor

import "strings"

// File-system paths in free text are replaced whole: the directories above a file name say who works on
// what, so no segment survives. A port of src/privacy/paths.ts (see there for the definition); both are
// checked against test/fixtures/secrets/shared-vectors.json, so a change on one side only fails a test.

var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "CONNECT": true, "OPTIONS": true, "TRACE": true, "PATCH": true, "QUERY": true}

func isBlankByte(c byte) bool { return c == ' ' || (c >= 9 && c <= 13) }


func isStopByte(c byte) bool {
	switch c {
	case '"', '\'', '`', '<', '>', '|', ',', ';', '(', ')', '[', ']', '=':
		return true
	}
	return isBlankByte(c)
}

func isLetterByte(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

func isSepByte(c byte) bool { return c == '/' || c == '\\' }

func pathSegments(t string) int {
	n, in := 0, false
	for i := 0; i < len(t); i++ {
		if isSepByte(t[i]) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

func afterHTTPMethod(s string, start int) bool {
	if start < 2 || s[start-1] != ' ' {
		return false
	}
	k := start - 1
	for k > 0 && isLetterByte(s[k-1]) {
		k--
	}
	if k > 0 && !isBlankByte(s[k-1]) {
		return false
	}
	return httpMethods[s[k:start-1]]
}

func isPathToken(s string, start, end int) bool {
	t := s[start:end]
	n := len(t)
	if n < 3 {
		return false
	}
	seps, letter := 0, false
	for i := 0; i < n; i++ {
		c := t[i]
		if isSepByte(c) {
			seps++
		} else if isLetterByte(c) || c >= 0x80 {
			letter = true
		}
	}
	if seps == 0 || !letter || strings.Contains(t, "/:") {
		return false
	}
	c0, c1 := t[0], t[1]
	switch {
	case c0 == '~':
		i := 1
		for i < n && !isSepByte(t[i]) {
			i++
		}
		return i < n-1
	case isLetterByte(c0) && c1 == ':' && isSepByte(t[2]):
		return n > 3
	case c0 == '\\' && c1 == '\\':
		return true
	case c0 == '.' && c1 == '.' && isSepByte(t[2]):
		return true
	case isSepByte(c0):
		return pathSegments(t) >= 2 && !(c0 == '/' && afterHTTPMethod(s, start))
	}
	return seps >= 3
}

// tokenEnd: the end of the token that starts at start. In a URL (urlToken: after `//`) a `:` (a
// port, an IPv6 literal) does not end it; every other stop does, so what follows a `]` or `(` is a
// token of its own.
func tokenEnd(s string, start int, urlToken bool) int {
	n := len(s)
	j, query, sep := start, false, false
	for j < n {
		d := s[j]
		if d == '/' || d == '\\' {
			sep = true
		}
		if d == '?' && sep {
			// a query string stays with its path, so `=` no longer ends it; only after a separator
			// (`?=/home/x` is no path's query: `=` still ends the `?` token)
			query = true
		}
		if isStopByte(d) && !(query && d == '=') {
			break
		}
		if d == ':' && !urlToken {
			driveColon := j == start+1 && isLetterByte(s[start]) && j+1 < n && isSepByte(s[j+1])
			routeParam := j > start && s[j-1] == '/'
			if !driveColon && !routeParam {
				break
			}
		}
		j++
	}
	return j
}

// replacePaths replaces every path token of s by ph; ok is false when there is none.
func replacePaths(s, ph string) (string, bool) {
	if strings.IndexByte(s, '/') < 0 && strings.IndexByte(s, '\\') < 0 {
		return s, false
	}
	n := len(s)
	var b strings.Builder
	last := 0
	for i := 0; i < n; {
		c := s[i]
		if isStopByte(c) || c == ':' {
			i++
			continue
		}
		start := i
		j := tokenEnd(s, i, false)
		if s[start] == '/' && start+1 < n && s[start+1] == '/' && (start+2 >= n || s[start+2] != '/') {
			j = tokenEnd(s, start, true)
		} else if isPathToken(s, start, j) {
			// a name with a space: a following word that has a separator continues the same path
			for j+1 < n && s[j] == ' ' {
				k := tokenEnd(s, j+1, false)
				if strings.IndexAny(s[j+1:k], `/\`) < 0 {
					break
				}
				j = k
			}
			b.WriteString(s[last:start])
			b.WriteString(ph)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}
