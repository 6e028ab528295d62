package wcp

import "testing"

func TestPaths(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{WorkspacePath("w_1"), "/workspaces/w_1"},
		{MembersPath("w_1"), "/workspaces/w_1/members"},
		{MemberPath("w_1", "u_2"), "/workspaces/w_1/members/u_2"},
		{WorkspaceChatsPath("w_1"), "/workspaces/w_1/chats"},
		{ChatPath("c_1"), "/chat/c_1"},
		{ConnectionStringPath("c_1"), "/chat/c_1/connection-string"},
		{MessagesPath("c_1"), "/chat/c_1/messages"},
		// IDs a caller got wrong still stay inside their path segment.
		{ChatPath("a/b?c"), "/chat/a%2Fb%3Fc"},
		{MemberPath("../x", "y z"), "/workspaces/..%2Fx/members/y%20z"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
