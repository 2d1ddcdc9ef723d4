package wif

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
)

// Field names used in ExprError, as the provider resource spells them.
const (
	FieldMapping   = "attribute_mapping"
	FieldCondition = "attribute_condition"
)

// ExprError is a CEL problem in one expression of a provider, located in it.
type ExprError struct {
	Field   string // FieldMapping or FieldCondition
	Key     string // the mapping key (google.subject, attribute.org); "" for the condition
	Expr    string // the expression text
	Line    int    // 1-based; 0 when the problem has no location
	Column  int    // 1-based
	Message string
}

func (e *ExprError) Error() string {
	where := e.Field
	if e.Key != "" {
		where += "[" + e.Key + "]"
	}
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", where, e.Message)
	}
	return fmt.Sprintf("%s: line %d, column %d: %s\n%s", where, e.Line, e.Column, e.Message, e.Pointer())
}

// Pointer renders the offending line with a caret under the column, for
// terminals and the wizard's live validation.
func (e *ExprError) Pointer() string {
	if e.Line == 0 {
		return ""
	}
	lines := strings.Split(e.Expr, "\n")
	if e.Line > len(lines) {
		return ""
	}
	line := lines[e.Line-1]
	pad := max(0, min(e.Column-1, len([]rune(line))))
	return "  " + line + "\n  " + strings.Repeat(" ", pad) + "^"
}

// ExprErrors is every CEL problem found in a provider.
type ExprErrors []*ExprError

func (es ExprErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Compiled is a provider's attribute mapping and condition, type-checked and
// ready to evaluate. Build it with Compile.
type Compiled struct {
	Mapping   map[string]string
	Condition string

	mapping  map[string]*compiledExpr
	cond     *compiledExpr // nil without a condition
	claimsOf map[string][]string
}

type compiledExpr struct {
	ast  *cel.Ast
	prog cel.Program
}

// The CEL environments Google documents: mapping expressions see the
// token's claims as `assertion`; the condition also sees the mapped
// attributes as `google` and `attribute`. Claims are JSON, so values are dyn.
// Built on first use: building them costs milliseconds that fedctl's
// start-up budget (SPEC §6) cannot spend on commands that never need CEL.
var (
	mappingEnv = sync.OnceValue(func() *cel.Env {
		return mustEnv(append([]cel.EnvOption{cel.Variable("assertion", claimMap())}, commonOpts()...)...)
	})
	condEnv = sync.OnceValue(func() *cel.Env {
		return mustEnv(append([]cel.EnvOption{
			cel.Variable("assertion", claimMap()),
			cel.Variable("google", claimMap()),
			cel.Variable("attribute", claimMap()),
		}, commonOpts()...)...)
	})
)

func claimMap() *cel.Type { return cel.MapType(cel.StringType, cel.DynType) }

func commonOpts() []cel.EnvOption { return []cel.EnvOption{ext.Strings(), extractFunction()} }

func mustEnv(opts ...cel.EnvOption) *cel.Env {
	env, err := cel.NewEnv(opts...)
	if err != nil {
		panic(err)
	}
	return env
}

// extractFunction is Google's mapping helper
// "assumed-role/x/y".extract('assumed-role/{role}/') == "x": the text between
// the template's prefix and suffix around one {placeholder}; "" when the
// prefix is absent.
func extractFunction() cel.EnvOption {
	return cel.Function("extract",
		cel.MemberOverload("string_extract_string", []*cel.Type{cel.StringType, cel.StringType}, cel.StringType,
			cel.BinaryBinding(func(lhs, rhs ref.Val) ref.Val {
				s, ok1 := lhs.Value().(string)
				tmpl, ok2 := rhs.Value().(string)
				if !ok1 || !ok2 {
					return types.NewErr("extract: want strings")
				}
				return types.String(extract(s, tmpl))
			})))
}

func extract(s, tmpl string) string {
	open := strings.IndexByte(tmpl, '{')
	closing := strings.IndexByte(tmpl, '}')
	if open < 0 || closing < open {
		return ""
	}
	prefix, suffix := tmpl[:open], tmpl[closing+1:]
	i := strings.Index(s, prefix)
	if i < 0 {
		return ""
	}
	rest := s[i+len(prefix):]
	if suffix == "" {
		return rest
	}
	if j := strings.Index(rest, suffix); j >= 0 {
		return rest[:j]
	}
	return ""
}

// Compile type-checks every mapping expression and the condition (empty:
// none). It reports every problem at once, as ExprErrors, each pointing at
// its line and column.
func Compile(mapping map[string]string, condition string) (*Compiled, error) {
	c := &Compiled{Mapping: maps.Clone(mapping), Condition: condition,
		mapping: map[string]*compiledExpr{}, claimsOf: map[string][]string{}}
	var errs ExprErrors
	for _, k := range slices.Sorted(maps.Keys(mapping)) {
		ce, es := compileOne(mappingEnv(), FieldMapping, k, mapping[k], false)
		errs = append(errs, es...)
		if ce != nil {
			c.mapping[k] = ce
			c.claimsOf[k] = references(ce.ast)["assertion"]
		}
	}
	if strings.TrimSpace(condition) != "" {
		ce, es := compileOne(condEnv(), FieldCondition, "", condition, true)
		errs = append(errs, es...)
		c.cond = ce
	}
	if len(errs) > 0 {
		return c, errs
	}
	return c, nil
}

func compileOne(env *cel.Env, field, key, text string, wantBool bool) (*compiledExpr, ExprErrors) {
	if strings.TrimSpace(text) == "" {
		return nil, ExprErrors{{Field: field, Key: key, Expr: text, Message: "is empty"}}
	}
	a, iss := env.Compile(text)
	if iss != nil && iss.Err() != nil {
		var errs ExprErrors
		for _, e := range iss.Errors() {
			errs = append(errs, &ExprError{Field: field, Key: key, Expr: text,
				Line: e.Location.Line(), Column: e.Location.Column() + 1, Message: e.Message})
		}
		return nil, errs
	}
	if out := a.OutputType(); wantBool && !out.IsAssignableType(cel.BoolType) {
		return nil, ExprErrors{{Field: field, Key: key, Expr: text, Line: 1, Column: 1,
			Message: fmt.Sprintf("must evaluate to a bool, not %s", out)}}
	}
	if out := a.OutputType(); !wantBool && !out.IsAssignableType(cel.StringType) && !out.IsAssignableType(cel.ListType(cel.StringType)) {
		return nil, ExprErrors{{Field: field, Key: key, Expr: text, Line: 1, Column: 1,
			Message: fmt.Sprintf("must evaluate to a string (or a list of strings for google.groups), not %s", out)}}
	}
	prog, err := env.Program(a)
	if err != nil {
		return nil, ExprErrors{{Field: field, Key: key, Expr: text, Message: err.Error()}}
	}
	return &compiledExpr{ast: a, prog: prog}, nil
}

// fieldRef is one use of a variable's field: assertion.sub, attribute['org'].
type fieldRef struct {
	root, field string
	line, col   int
}

// references lists, by root variable, the fields an expression reads
// (x.f and x['f'] forms).
func references(a *cel.Ast) map[string][]string {
	out := map[string][]string{}
	for _, r := range fieldRefs(a) {
		if !slices.Contains(out[r.root], r.field) {
			out[r.root] = append(out[r.root], r.field)
		}
	}
	return out
}

func fieldRefs(a *cel.Ast) []fieldRef {
	native := a.NativeRep()
	info := native.SourceInfo()
	var refs []fieldRef
	add := func(id int64, root, field string) {
		loc := info.GetStartLocation(id)
		refs = append(refs, fieldRef{root: root, field: field, line: loc.Line(), col: loc.Column() + 1})
	}
	ast.PreOrderVisit(native.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		switch e.Kind() {
		case ast.SelectKind:
			sel := e.AsSelect()
			if op := sel.Operand(); op.Kind() == ast.IdentKind {
				add(e.ID(), op.AsIdent(), sel.FieldName())
			}
		case ast.CallKind:
			call := e.AsCall()
			if call.FunctionName() != "_[_]" || len(call.Args()) != 2 {
				return
			}
			root, idx := call.Args()[0], call.Args()[1]
			if root.Kind() != ast.IdentKind || idx.Kind() != ast.LiteralKind {
				return
			}
			if s, ok := idx.AsLiteral().Value().(string); ok {
				add(e.ID(), root.AsIdent(), s)
			}
		}
	}))
	return refs
}
