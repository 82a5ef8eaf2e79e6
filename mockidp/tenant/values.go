package tenant

import (
	"fmt"
	"hash/fnv"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// urlKind says which rules a configured URL follows.
type urlKind int

const (
	// redirectURL is a callback or logout URL: absolute, with a host, no fragment (RFC 6749
	// §3.1.2). The emulator matches them exactly, so wildcards are refused.
	redirectURL urlKind = iota
	// originURL is a web or CORS origin: scheme://host[:port] and nothing more; Auth0 allows a
	// "*." wildcard as the first label of the host.
	originURL
)

// checkURL returns what is wrong with s as a URL of kind, or "" when it is fine. customSchemes
// allows schemes other than http and https, as Auth0 does for native apps
// (com.example.app://callback, capacitor://localhost).
func checkURL(s string, kind urlKind, customSchemes bool) string {
	example := "https://app.example.com/callback"
	if kind == originURL {
		example = "https://app.example.com"
	}
	if strings.TrimSpace(s) != s || s == "" {
		return fmt.Sprintf("%q must be an absolute URL with no surrounding spaces, like %s", s, example)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("%q is not a URL (%v); expected one like %s", s, urlReason(err), example)
	}
	switch {
	case u.Scheme == "" || u.Opaque != "":
		return fmt.Sprintf("%q must be an absolute URL with a scheme and a host, like %s", s, example)
	case u.Scheme != "http" && u.Scheme != "https" && !customSchemes:
		return fmt.Sprintf("%q: scheme %q is allowed only for native apps; use http or https", s, u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Sprintf("%q must have a host, like %s", s, example)
	case u.User != nil:
		return fmt.Sprintf("%q must not contain a user name or password", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Sprintf("%q must not contain a fragment (#...)", s)
	}
	host := u.Hostname()
	if kind == redirectURL {
		if strings.Contains(host, "*") {
			return fmt.Sprintf("%q: wildcards are not supported here (redirects are matched exactly); list each URL", s)
		}
		return ""
	}
	if u.Path != "" || u.RawQuery != "" || u.ForceQuery {
		return fmt.Sprintf("%q must be an origin, scheme://host[:port], with no path (not even \"/\"), query or fragment", s)
	}
	if strings.Contains(strings.TrimPrefix(host, "*."), "*") {
		return fmt.Sprintf("%q: a wildcard is allowed only as the first label of the host, like https://*.example.com", s)
	}
	return ""
}

// urlReason shortens a url.Parse error to its reason.
func urlReason(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// checkName returns what is wrong with s as a name that identifies something (an id, a name, a
// reference), or "".
func checkName(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case strings.TrimSpace(s) != s:
		return fmt.Sprintf("must not start or end with spaces: %q", s)
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Sprintf("must not contain control characters: %q", s)
	}
	return ""
}

// checkEnum returns what is wrong with value as the field key, which must be one of allowed, or "".
func checkEnum(key, value string, allowed []string) string {
	if !slices.Contains(allowed, value) {
		return fmt.Sprintf("unknown %s %q; allowed: %s", key, value, strings.Join(allowed, ", "))
	}
	return ""
}

// checkEmail returns what is wrong with s as an email address, or "".
func checkEmail(s string) string {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Sprintf("%q is not an email address like alice@example.com", s)
	}
	return ""
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// checkPhone returns what is wrong with s as a phone number, or "". Auth0 keeps phone numbers in
// E.164 form.
func checkPhone(s string) string {
	if !e164.MatchString(s) {
		return fmt.Sprintf("%q must be in E.164 form: +, country code and number, digits only, like +14155550100", s)
	}
	return ""
}

// checkText finds the first byte that keeps data from being YAML text (invalid UTF-8 or a control
// character), so the error can name its line and column; the YAML parser does not.
func checkText(data []byte) (line, col int, msg string) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, col, fmt.Sprintf("not a YAML text file: byte 0x%02x is not UTF-8", data[i])
		case r == '\n':
			line, col = line+1, 0
		case r == '\t', r == '\r', r == '\uFEFF' && i == 0:
		case unicode.IsControl(r) && r != '\u0085', r == '\uFFFE', r == '\uFFFF':
			return line, col, fmt.Sprintf("not a YAML text file: control character %U", r)
		}
		i += size
		col++
	}
	return 0, 0, ""
}

// avatar is a user's default picture: their initials on a colour derived from the user id, as an
// SVG data URI, so pages show a picture with no network (Auth0 links to a Gravatar instead).
func avatar(u *User) string {
	palette := []string{"#1e88e5", "#43a047", "#e53935", "#8e24aa", "#fb8c00", "#00897b", "#3949ab", "#6d4c41", "#d81b60", "#546e7a"}
	h := fnv.New32a()
	h.Write([]byte(u.UserID))
	colour := palette[h.Sum32()%uint32(len(palette))]
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">` +
		`<circle cx="32" cy="32" r="32" fill="` + colour + `"/>` +
		`<text x="32" y="32" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="26" fill="#fff">` +
		Initials(avatarName(u)) + `</text></svg>`
	return "data:image/svg+xml," + url.PathEscape(svg)
}

// avatarName is the name a user's avatar shows the initials of: given and family name, else the
// name unless it is just the email, else the nickname.
func avatarName(u *User) string {
	if n := strings.TrimSpace(u.GivenName + " " + u.FamilyName); n != "" {
		return n
	}
	if u.Name != "" && u.Name != u.Email {
		return u.Name
	}
	return u.Nickname
}

// Initials are the first letters of the first two words of name, upper-cased, or "?" when it has
// none: the letters of a user's avatar, and of the login page's user picker and tenant logo. Only
// letters and digits, so they need no escaping in SVG or HTML.
func Initials(name string) string {
	var out []rune
	for _, word := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		r, _ := utf8.DecodeRuneInString(word)
		out = append(out, unicode.ToUpper(r))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}
