package conformance

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNodeRecipe runs docs/sandbox.md's Node.js recipe as written. It needs
// node and the three npm packages; the suite installs nothing (it never
// reaches the network), so point FEDCTL_NODE_MODULES at a node_modules
// directory holding google-auth-library, googleapis and
// @google-cloud/bigquery to run it.
func TestNodeRecipe(t *testing.T) {
	modules := os.Getenv("FEDCTL_NODE_MODULES")
	if _, err := exec.LookPath("node"); err != nil || modules == "" {
		t.Skip("node or FEDCTL_NODE_MODULES (a node_modules with google-auth-library, googleapis, @google-cloud/bigquery) missing: skipping the Node.js recipe")
	}
	t.Parallel()
	sb := startServe(t)
	script := filepath.Join(sb.dir, "recipe.js")
	if err := os.WriteFile(script, []byte(recipe(t, "node", "js")), 0o644); err != nil {
		t.Fatal(err)
	}
	out := sb.run(`node recipe.js`, map[string]string{"NODE_PATH": modules})
	if f := strings.Fields(out); len(f) != 3 || f[0] != "123456789012" || f[2] != "1" {
		t.Errorf("the Node.js recipe printed %q, want the project number, the binding count and 1", out)
	}
}

// TestPythonRecipe runs docs/sandbox.md's Python recipe as written, with
// FEDCTL_PYTHON, else python3 when it can import google-auth and requests,
// else the Cloud SDK's bundled Python with the google-auth the SDK vendors.
func TestPythonRecipe(t *testing.T) {
	python, env := pythonWithGoogleAuth()
	if python == "" {
		t.Skip("no Python that imports google-auth and requests (set FEDCTL_PYTHON): skipping the Python recipe")
	}
	t.Parallel()
	sb := startServe(t)
	script := filepath.Join(sb.dir, "recipe.py")
	if err := os.WriteFile(script, []byte(recipe(t, "python", "python")), 0o644); err != nil {
		t.Fatal(err)
	}
	out := sb.run(`"$RECIPE_PYTHON" recipe.py`, mergeEnv(env, map[string]string{"RECIPE_PYTHON": python}))
	if strings.TrimSpace(out) != "123456789012" {
		t.Errorf("the Python recipe printed %q, want the project number", out)
	}
}

func pythonWithGoogleAuth() (string, map[string]string) {
	can := func(python string, env map[string]string) bool {
		cmd := exec.Command(python, "-c", "import google.auth.transport.requests, requests")
		cmd.Env = os.Environ()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		return cmd.Run() == nil
	}
	if p := os.Getenv("FEDCTL_PYTHON"); p != "" {
		return p, nil
	}
	if can("python3", nil) {
		return "python3", nil
	}
	gcloud, err := exec.LookPath("gcloud")
	if err != nil {
		return "", nil
	}
	if real, err := filepath.EvalSymlinks(gcloud); err == nil {
		root := filepath.Dir(filepath.Dir(real))
		python := filepath.Join(root, "platform", "bundledpythonunix", "bin", "python3")
		env := map[string]string{"PYTHONPATH": filepath.Join(root, "lib", "third_party")}
		if can(python, env) {
			return python, env
		}
	}
	return "", nil
}

func mergeEnv(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
