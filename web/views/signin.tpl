% rebase('layout')
<form method="post" action="/signin" class="card narrow">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="next" value="{{next}}">
  % if error:
  <p class="flash error" id="signin-error">{{error}}</p>
  % end
  <label>{{_('User name')}}<input name="username" id="username" value="{{username}}" autocomplete="username" required autofocus></label>
  <label>{{_('Password')}}<input name="password" id="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" id="signin">{{_('Sign in')}}</button>
</form>
