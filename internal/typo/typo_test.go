package typo

import (
	"slices"
	"testing"
)

func TestNear(t *testing.T) {
	env := []string{"_", "__", "A", "B", "AB", "OLDPWD", "PWD", "SHLVL", "PATH", "HOME", "GITHUB_TOKEN", "JWT_SECRET", "JWT_SECRET_STAGNG", "jwt_secret_staging",
		"STAGING_JWT_SECRET", "JWT_SECRET_PRODUCTION_KEY", "API_KEY", "SECRET"}
	for _, tc := range []struct {
		want string
		skip []string
		got  []string
	}{
		// Case, one edit, reordered words, one word more.
		{"JWT_SECRET_STAGING", nil, []string{"jwt_secret_staging", "JWT_SECRET_STAGNG", "STAGING_JWT_SECRET", "JWT_SECRET"}[:3]},
		{"JWT_SECRET_STAGNG", []string{"JWT_SECRET_STAGNG"}, []string{"jwt_secret_staging", "JWT_SECRET"}},
		// Names already in the chain are not suggested.
		{"JWT_SECRET_STAGING", []string{"jwt_secret_staging", "STAGING_JWT_SECRET"}, []string{"JWT_SECRET_STAGNG", "JWT_SECRET"}},
		// One shared word is not enough; two extra words are too many.
		{"API_TOKEN", nil, nil},
		{"JWT_SECRET_PROD", nil, []string{"JWT_SECRET"}},
		// Short names and the shell's `_` are not typos of anything.
		{"A", nil, nil},
		{"K", nil, nil},
		{"AB", nil, nil},
		{"KEY", nil, nil},
		{"PAT", nil, []string{"PATH"}},
	} {
		if got := Near(tc.want, env, tc.skip, 3); !slices.Equal(got, tc.got) {
			t.Errorf("Near(%s, skip %v) = %q, want %q", tc.want, tc.skip, got, tc.got)
		}
	}
}
