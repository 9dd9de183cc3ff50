package sources

import "github.com/secret-preflight/secret-preflight/internal/setsecrets"

// ParseSetSecrets parses the value of gcloud's --set-secrets flag (or of
// google-github-actions/deploy-cloudrun's `secrets:` input) into the one
// container it configures: env vars from secrets, and a secret volume per
// mount directory. The grammar and its errors are internal/setsecrets',
// which the config loader also uses to reject a malformed string.
func ParseSetSecrets(value string) (Container, error) {
	s, err := setsecrets.Parse(value)
	if err != nil {
		return Container{}, err
	}
	c := Container{Ingress: true}
	for _, e := range s.Env {
		c.Env = append(c.Env, EnvVar{Name: e.Name, Secret: &SecretRef{Secret: e.Secret, Version: e.Version}})
	}
	for _, m := range s.Mounts {
		sm := SecretMount{MountPath: m.Dir, Secret: m.Secret}
		for _, it := range m.Items {
			sm.Items = append(sm.Items, MountItem{Path: it.Path, Version: it.Version})
		}
		c.Mounts = append(c.Mounts, sm)
	}
	return c, nil
}
